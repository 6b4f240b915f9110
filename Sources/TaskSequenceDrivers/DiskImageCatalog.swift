import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A disk image the appliance distributes (issue 16 §5): the file as stored (compressed or
/// not) under `<images-dir>/disk/`, with the SHA-256 and size of its raw content, which the
/// apply-image driver checks while it writes.
public struct DiskImage: Sendable, Codable, Equatable {
    public var name: String
    /// The stored file, relative to the disk-image directory (`NAME.img.zst`).
    public var file: String
    public var compression: ImageCompression
    /// Bytes of the stored file.
    public var size: Int
    /// Bytes of the raw content (what lands on the disk).
    public var rawSize: Int
    /// SHA-256 of the raw content, lowercase hex.
    public var sha256: String
    /// When it was added (seconds since 1970).
    public var added: Double
}

/// The disk images under `<images-dir>/disk/`: `NAME.<ext>` (the image, served over HTTP with
/// ranges by the image server), `NAME.<ext>.sha256` (read by the apply-image driver) and
/// `NAME.json` (this record).
public enum DiskImageCatalog {
    public static let subdirectory = "disk"

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// A valid image name: letters, digits, `.`, `_`, `-`; not starting with `.`; 1-100.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...100).contains(name.count), !name.hasPrefix("."), !name.hasPrefix("-") else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    public static func fileExtension(_ compression: ImageCompression) -> String {
        switch compression {
        case .raw: return ".img"
        case .gzip: return ".img.gz"
        case .zstd: return ".img.zst"
        case .xz: return ".img.xz"
        }
    }

    /// The catalog directory (created if missing) for a new image `name`, and `source` opened for
    /// reading: what `add` and `capture` both check first. The caller closes the descriptor.
    static func destination(name: String, imagesDirectory: String, replace: Bool, source: String) throws -> (String, Int32) {
        guard isValidName(name) else { throw Failure(description: "'\(name)' is not a valid image name (letters, digits, . _ -)") }
        let directory = imagesDirectory + "/" + subdirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !replace, FileManager.default.fileExists(atPath: "\(directory)/\(name).json") {
            throw Failure(description: "a disk image named '\(name)' exists (use --replace)")
        }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure(description: "cannot open \(source): \(String(cString: strerror(errno)))") }
        return (directory, input)
    }

    /// Copies `source` into the catalog as `name`: detects the compression, decodes it once to
    /// hash the raw content (a corrupt or truncated image is refused), writes the image, its
    /// `.sha256` and its record atomically. An existing name is refused unless `replace`.
    public static func add(source: String, name: String, imagesDirectory: String, replace: Bool = false,
                           now: Double = Date().timeIntervalSince1970) throws -> DiskImage {
        let (directory, input) = try destination(name: name, imagesDirectory: imagesDirectory, replace: replace, source: source)
        defer { close(input) }
        var prefix = [UInt8](repeating: 0, count: 8)
        let got = pread(input, &prefix, 8, 0)
        let compression = ImageCompression.detect(Array(prefix.prefix(max(0, got))))
        let file = name + fileExtension(compression)
        let temporary = "\(directory)/.\(file).adding-\(getpid())"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw Failure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var keep = false
        defer {
            close(output)
            if !keep { unlink(temporary) }
        }
        let decoder = try StreamDecoders.make(compression)
        guard let hasher = SHA256Stream() else { throw Failure(description: "libcrypto has no SHA-256") }
        let counter = RawContent(hasher: hasher)
        let consume = counter.consume
        var size = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ApplyImageDriver.chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = read(input, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw Failure(description: "read \(source): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            var written = 0
            while written < n {
                let w = write(output, chunk.baseAddress.map { $0 + written }, n - written)
                if w < 0, errno == EINTR { continue }
                guard w > 0 else { throw Failure(description: "write \(temporary): \(String(cString: strerror(errno)))") }
                written += w
            }
            size += n
            do {
                try decoder.decode(chunk, sink: consume)
            } catch {
                throw Failure(description: "\(source): \(error)")
            }
        }
        do {
            try decoder.finish(sink: consume)
        } catch {
            throw Failure(description: "\(source): \(error)")
        }
        guard fsync(output) == 0, rename(temporary, "\(directory)/\(file)") == 0 else {
            throw Failure(description: "cannot store \(file) in \(directory): \(String(cString: strerror(errno)))")
        }
        keep = true
        let image = DiskImage(name: name, file: file, compression: compression, size: size, rawSize: counter.count,
                              sha256: hasher.finish(), added: now)
        try AtomicFile.write(Array("\(image.sha256)  \(name)\n".utf8), to: "\(directory)/\(file).sha256", mode: 0o644)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try encoder.encode(image)), to: "\(directory)/\(name).json", mode: 0o644)
        // Another compression of the same name, replaced: its files go.
        for other in ImageCompression.allCases where other != compression {
            let stale = "\(directory)/\(name)\(fileExtension(other))"
            unlink(stale)
            unlink(stale + ".sha256")
        }
        return image
    }

    /// Every record under `<images-dir>/disk/`, by name; unreadable records are skipped.
    public static func list(imagesDirectory: String) -> [DiskImage] {
        let directory = imagesDirectory + "/" + subdirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else { return nil }
            return try? JSONDecoder().decode(DiskImage.self, from: data)
        }
    }
}

/// Hashes and counts decoded bytes.
private final class RawContent {
    let hasher: SHA256Stream
    private(set) var count = 0

    init(hasher: SHA256Stream) { self.hasher = hasher }

    func consume(_ chunk: UnsafeRawBufferPointer) throws {
        hasher.update(chunk)
        count += chunk.count
    }
}
