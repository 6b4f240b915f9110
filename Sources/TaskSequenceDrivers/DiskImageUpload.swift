import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A disk image arriving in pieces — `netboot images add` reading a file, or a capture streamed
/// through the bridge (docs/bridge.md, "Captured images"): the bytes go to a hidden temporary
/// file beside the catalog and are decoded as they come, so the raw content is hashed and
/// counted and a corrupt or cut-short image is refused. Only ``commit(declaredSHA256:)``
/// registers it (fsync, atomic rename, then its `.sha256` and record); an upload dropped,
/// aborted or refused leaves nothing behind.
public final class DiskImageUpload {
    /// Why an upload was refused; the bridge answers each with its own status.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// A name the catalog does not take.
        case invalidName(String)
        /// The name is registered already (and replacing was not asked for).
        case exists(String)
        /// The compressed stream does not decode, or ends early (the decoder's words).
        case corrupt(String)
        /// A digest was required and none was declared.
        case noChecksum
        /// The declared digest is not the received content's.
        case checksumMismatch(declared: String, received: String)
        /// Disk or directory trouble.
        case io(String)

        public var description: String {
            switch self {
            case .invalidName(let text), .exists(let text), .corrupt(let text), .io(let text): return text
            case .noChecksum:
                return "no SHA-256 declared for the image (a Netboot-Image-SHA256 header, or a digest frame ending the zstd stream)"
            case let .checksumMismatch(declared, received):
                return "checksum mismatch: declared sha256 \(declared), the received content has \(received)"
            }
        }
    }

    public let name: String
    /// Bytes received (the stored file's size).
    public private(set) var size = 0
    /// The compression, once the first bytes have come.
    public private(set) var compression: ImageCompression?
    let directory: String
    let temporary: String
    let replace: Bool
    private var output: Int32
    private var decoder: (any StreamDecoder)?
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private let hasher: SHA256Stream
    private var rawSize = 0
    private var closed = false

    /// Checks the name and the catalog as `add` and `capture` do (``DiskImageCatalog/destination(name:imagesDirectory:replace:)``)
    /// and opens the temporary file `disk/.NAME.upload-PID-RANDOM`. Temporary files of
    /// processes that no longer run (a crash mid-upload) are removed first.
    public init(name: String, imagesDirectory: String, replace: Bool) throws {
        let directory = try DiskImageCatalog.destination(name: name, imagesDirectory: imagesDirectory, replace: replace)
        Self.removeAbandoned(in: directory)
        guard let hasher = SHA256Stream() else { throw Refusal.io("libcrypto has no SHA-256") }
        let temporary = "\(directory)/.\(name).upload-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw Refusal.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        self.name = name
        self.directory = directory
        self.temporary = temporary
        self.replace = replace
        self.output = output
        self.hasher = hasher
    }

    deinit { abort() }

    /// Stores and decodes the next bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard !closed else { throw Refusal.io("the upload of \(name) has ended") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var done = 0
        while done < bytes.count {
            let n = write(output, base + done, bytes.count - done)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw Refusal.io("write \(temporary): \(String(cString: strerror(errno)))") }
            done += n
        }
        size += bytes.count
        tail.append(contentsOf: bytes.suffix(CaptureDigestFrame.length))
        if tail.count > CaptureDigestFrame.length { tail.removeFirst(tail.count - CaptureDigestFrame.length) }
        if decoder == nil {
            // The first 8 bytes tell the compression: withheld until they are all here.
            let taken = min(8 - head.count, bytes.count)
            head.append(contentsOf: bytes.prefix(taken))
            guard head.count >= 8 else { return }
            try startDecoding()
            if taken < bytes.count { try decode(UnsafeRawBufferPointer(rebasing: bytes[taken...])) }
            return
        }
        try decode(bytes)
    }

    /// Picks the decoder by the first bytes and decodes them.
    private func startDecoding() throws {
        let detected = ImageCompression.detect(head)
        compression = detected
        do {
            decoder = try StreamDecoders.make(detected)
        } catch {
            throw Refusal.io("\(error)")
        }
        let pending = head
        head = []
        try pending.withUnsafeBytes { try decode($0) }
    }

    private func decode(_ chunk: UnsafeRawBufferPointer) throws {
        guard let decoder else { return }
        let hasher = hasher
        var count = 0
        do {
            try decoder.decode(chunk) { raw in
                hasher.update(raw)
                count += raw.count
            }
        } catch {
            throw Refusal.corrupt("\(error)")
        }
        rawSize += count
    }

    /// Ends the stream and registers the image: the decoder must end cleanly, and every
    /// declared digest (`declaredSHA256`, and a ``CaptureDigestFrame`` ending a zstd stream)
    /// must be the raw content's. With `requireChecksum`, one must have been declared. Then the
    /// file is fsynced and renamed into place, and its `.sha256` and record written.
    public func commit(declaredSHA256: String? = nil, requireChecksum: Bool = false,
                       now: Double = Date().timeIntervalSince1970) throws -> DiskImage {
        guard !closed else { throw Refusal.io("the upload of \(name) has ended") }
        if decoder == nil { try startDecoding() }
        do {
            try decoder?.finish(sink: { _ in })
        } catch {
            throw Refusal.corrupt("\(error)")
        }
        let received = hasher.finish()
        var declared: [String] = []
        if let declaredSHA256 { declared.append(declaredSHA256.lowercased()) }
        if compression == .zstd, let framed = CaptureDigestFrame.parse(tail) { declared.append(framed) }
        if requireChecksum, declared.isEmpty { throw Refusal.noChecksum }
        if let wrong = declared.first(where: { $0 != received }) { throw Refusal.checksumMismatch(declared: wrong, received: received) }
        let compression = compression ?? .raw
        let file = name + DiskImageCatalog.fileExtension(compression)
        guard fsync(output) == 0 else { throw Refusal.io("fsync \(temporary): \(String(cString: strerror(errno)))") }
        if !replace, FileManager.default.fileExists(atPath: "\(directory)/\(name).json") {
            throw Refusal.exists("a disk image named '\(name)' exists")
        }
        guard rename(temporary, "\(directory)/\(file)") == 0 else {
            throw Refusal.io("cannot store \(file) in \(directory): \(String(cString: strerror(errno)))")
        }
        close(output)
        closed = true
        let image = DiskImage(name: name, file: file, compression: compression, size: size, rawSize: rawSize, sha256: received, added: now)
        do {
            try AtomicFile.write(Array("\(image.sha256)  \(name)\n".utf8), to: "\(directory)/\(file).sha256", mode: 0o644)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(Array(try encoder.encode(image)), to: "\(directory)/\(name).json", mode: 0o644)
        } catch {
            throw Refusal.io("\(error)")
        }
        // Another compression of the same name, replaced: its files go.
        for other in ImageCompression.allCases where other != compression {
            let stale = "\(directory)/\(name)\(DiskImageCatalog.fileExtension(other))"
            unlink(stale)
            unlink(stale + ".sha256")
        }
        return image
    }

    /// Drops the upload: the temporary file goes, nothing was registered.
    public func abort() {
        guard !closed else { return }
        closed = true
        close(output)
        unlink(temporary)
    }

    /// Removes `.NAME.upload-PID-…` files whose process is gone.
    static func removeAbandoned(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in names where entry.hasPrefix(".") {
            guard let marker = entry.range(of: ".upload-", options: .backwards) else { continue }
            let fields = entry[marker.upperBound...].split(separator: "-")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0 else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { unlink("\(directory)/\(entry)") }
        }
    }
}
