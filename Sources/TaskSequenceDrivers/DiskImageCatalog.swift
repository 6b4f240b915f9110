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

    /// The catalog directory (created if missing) for a new image `name`: the one check `add`,
    /// `capture` and uploads through the bridge (``DiskImageUpload``) make first — a valid name,
    /// and no record of that name unless `replace`. Throws ``DiskImageUpload/Refusal``.
    static func destination(name: String, imagesDirectory: String, replace: Bool) throws -> String {
        guard isValidName(name) else { throw DiskImageUpload.Refusal.invalidName("'\(name)' is not a valid image name (letters, digits, . _ -)") }
        let directory = imagesDirectory + "/" + subdirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DiskImageUpload.Refusal.io("cannot create \(directory): \(error.localizedDescription)")
        }
        if !replace, FileManager.default.fileExists(atPath: "\(directory)/\(name).json") {
            throw DiskImageUpload.Refusal.exists("a disk image named '\(name)' exists")
        }
        return directory
    }

    /// ``destination(name:imagesDirectory:replace:)``, and `source` opened for reading. The
    /// caller closes the descriptor.
    static func destination(name: String, imagesDirectory: String, replace: Bool, source: String) throws -> (String, Int32) {
        let directory: String
        do {
            directory = try destination(name: name, imagesDirectory: imagesDirectory, replace: replace)
        } catch {
            throw Failure(description: "\(error)")
        }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure(description: "cannot open \(source): \(String(cString: strerror(errno)))") }
        return (directory, input)
    }

    /// Copies `source` into the catalog as `name` through a ``DiskImageUpload``: detects the
    /// compression, decodes it once to hash the raw content (a corrupt or truncated image is
    /// refused), writes the image, its `.sha256` and its record atomically. An existing name is
    /// refused unless `replace`.
    public static func add(source: String, name: String, imagesDirectory: String, replace: Bool = false,
                           now: Double = Date().timeIntervalSince1970) throws -> DiskImage {
        do {
            let upload = try DiskImageUpload(name: name, imagesDirectory: imagesDirectory, replace: replace)
            let input = open(source, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw Failure(description: "cannot open \(source): \(String(cString: strerror(errno)))") }
            defer { close(input) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ApplyImageDriver.chunkSize, alignment: 4096)
            defer { buffer.deallocate() }
            while true {
                let n = read(input, buffer.baseAddress, buffer.count)
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw Failure(description: "read \(source): \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                try upload.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
            return try upload.commit(now: now)
        } catch DiskImageUpload.Refusal.exists(let text) {
            throw Failure(description: "\(text) (use --replace)")
        } catch DiskImageUpload.Refusal.corrupt(let text) {
            throw Failure(description: "\(source): \(text)")
        } catch let refusal as DiskImageUpload.Refusal {
            throw Failure(description: refusal.description)
        }
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
