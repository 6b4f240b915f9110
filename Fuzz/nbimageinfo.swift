// libFuzzer harness: NBImageInfo.plist reader (XML or binary plist → NBImageInfo → NetBootImage,
// root path parsing included) through the catalog scanner on a one-file in-memory folder.
// docs/fuzzing.md
import BootImages
import Foundation
import NetbootWire

/// Every path exists; the plist is the fuzz input.
struct OnePlistFileSystem: ImageFileSystem {
    let plist: Data
    func directoryEntries(at path: String) -> [String]? { ["Fuzz.nbi"] }
    func kind(at path: String) -> FileKind { path.hasSuffix(".nbi") ? .directory : .regular }
    func read(_ path: String, limit: Int) throws(FileReadError) -> Data {
        guard plist.count <= limit else { throw .tooLarge(size: plist.count, limit: limit) }
        return plist
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let plist = Data(bytes: data, count: size)
    if let value = try? PropertyListValue.decode(plist) {
        _ = NBImageInfo.interpret(value)
    }
    let scanner = ImageCatalogScanner(fileSystem: OnePlistFileSystem(plist: plist))
    let catalog = scanner.scan(directory: "/images")
    for image in catalog.images {
        _ = image.serverAddress(answeringFrom: IPv4Address(rawValue: 0x0A00_0001))
        _ = image.rootPathOption(server: IPv4Address(rawValue: 0x0A00_0001), httpBasePath: "/images",
                                 nfsExportPath: "/srv/images")
    }
    return 0
}
