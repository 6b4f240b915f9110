import Foundation
import NetbootWire
@testable import BootImages

/// A file tree in memory: paths to file bytes; directories are implied by their files, plus
/// any listed in `directories`.
struct MemoryFileSystem: ImageFileSystem {
    var files: [String: Data]
    var directories: Set<String> = []

    init(_ files: [String: String], directories: Set<String> = []) {
        self.files = files.mapValues { Data($0.utf8) }
        self.directories = directories
    }

    init(data files: [String: Data]) { self.files = files }

    private var allDirectories: Set<String> {
        var result = directories
        for path in files.keys {
            var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            while !parts.isEmpty {
                result.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        return result
    }

    func directoryEntries(at path: String) -> [String]? {
        guard allDirectories.contains(path) else { return nil }
        let prefix = path + "/"
        var names = Set<String>()
        for candidate in Array(files.keys) + Array(allDirectories) where candidate.hasPrefix(prefix) {
            if let first = candidate.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(first)) }
        }
        return Array(names)
    }

    func kind(at path: String) -> FileKind {
        if files[path] != nil { return .regular }
        return allDirectories.contains(path) ? .directory : .missing
    }

    func read(_ path: String, limit: Int) throws(FileReadError) -> Data {
        guard let data = files[path] else { throw .missing }
        guard data.count <= limit else { throw .tooLarge(size: data.count, limit: limit) }
        return data
    }
}

/// Resolves the names given, and literals.
struct TableResolver: HostResolving {
    var table: [String: IPv4Address]
    func resolve(_ host: String) -> IPv4Address? { table[host] ?? IPv4Address(host) }
}

/// An XML plist around `body` (key/value lines).
func xmlPlist(_ body: String) -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
    <plist version="1.0">
    <dict>
    \(body)
    </dict>
    </plist>
    """
}

/// Interprets a plist dictionary written as XML.
func interpret(_ body: String) -> Result<NBImageInfo, NBImageInfoErrors> {
    guard let value = try? PropertyListValue.decode(Data(xmlPlist(body).utf8)) else {
        return .failure(NBImageInfoErrors(reasons: [.plistInvalid("test plist did not decode")]))
    }
    return NBImageInfo.interpret(value)
}

let minimalKeys = """
    <key>Name</key><string>Image</string>
    <key>Index</key><integer>5</integer>
    <key>Type</key><string>HTTP</string>
    <key>RootPath</key><string>NetBoot.dmg</string>
    <key>BootFile</key><string>booter</string>
    <key>Architectures</key><array><string>i386</string></array>
    """

/// The fixture images directory copied into the test bundle.
func fixtureImagesDirectory() -> String {
    Bundle.module.resourcePath.map { $0 + "/Fixtures/images" } ?? "Tests/BootImagesTests/Fixtures/images"
}

func makeImage(folder: String = "X.nbi", name: String = "X", index: UInt16 = 1, kind: UInt8 = 1,
               isInstall: Bool = false, isDefault: Bool = false, isEnabled: Bool = true,
               isFilterOnly: Bool = false, architectures: [String] = ["i386"],
               enabledModels: [String] = [], disabledModels: [String] = [],
               enabledMACs: [MACAddress] = [], disabledMACs: [MACAddress] = []) -> NetBootImage {
    NetBootImage(folder: folder, name: name, index: index, kind: kind, isInstall: isInstall,
                 isDefault: isDefault, isEnabled: isEnabled, isFilterOnly: isFilterOnly, type: .http,
                 bootFile: "booter", architectures: architectures, topLevelBootFileArchitectures: [],
                 rootPath: .local(file: "NetBoot.dmg"), enabledSystemIdentifiers: enabledModels,
                 disabledSystemIdentifiers: disabledModels, enabledMACAddresses: enabledMACs,
                 disabledMACAddresses: disabledMACs, supportsDiskless: false, loadBalanceServer: nil,
                 imageDescription: nil, language: nil, osVersion: nil, warnings: [])
}

extension Result {
    var success: Success? { if case let .success(value) = self { value } else { nil } }
    var failure: Failure? { if case let .failure(value) = self { value } else { nil } }
}
