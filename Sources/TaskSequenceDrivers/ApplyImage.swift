import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Apply OS X Image (seed C12, L4751-4753), Linux: streams a disk image from `--images DIR`
/// onto a block device or a file — raw, gzip, zstd or xz (told by the first bytes), SHA-256
/// over the raw content while streaming and checked against `<image>.sha256` when there is
/// one (a mismatch fails the step), zero blocks skipped on files (sparse), optional read-back
/// verify, progress as bytes, rate and ETA in the log, then an fsync and a partition-table
/// re-read; on a block device with a target root other than `/`, the applied root
/// filesystem is mounted there (`TargetRootMount`). `destination` is the device or file path.
public struct ApplyImageDriver: StepDriver {
    public static let chunkSize = 1 << 20
    /// Buffers of `chunkSize` between the decoding thread and the hashing and writing ones:
    /// 8 MiB, a write-back window (`SparseWriter`), so the hasher goes on while the writer
    /// waits for the disk. 4 to 32 measured alike on a quiet machine; a smaller ring stays in
    /// the CPU's cache when other work runs (with 32 MiB the CPU per GiB doubled at times).
    static let ringChunks = 8
    /// Extensions tried after the bare name, in order.
    public static let extensions = ["", ".img", ".raw", ".img.zst", ".zst", ".img.gz", ".gz", ".img.xz", ".xz"]

    /// Whether decoding, hashing and writing run on three threads (`ChunkRing`) or on the
    /// step's thread alone: threads only pay with a second CPU — on one (a small VM) they
    /// only add thread switches.
    public let parallel: Bool

    public init(parallel: Bool = ProcessInfo.processInfo.activeProcessorCount > 1) {
        self.parallel = parallel
    }

    public func run(_ step: ResolvedStep, context: StepContext) -> DriverResult {
        guard let image = step.properties["image"], !image.isEmpty else { return .failed("no image given") }
        guard let destination = step.properties["destination"], destination.hasPrefix("/") else {
            return .failed("destination '\(step.properties["destination"] ?? "")' is not a device or file path (Linux targets name one, e.g. /dev/sda)")
        }
        guard let directory = context.imagesDirectory else { return .failed("no images directory (--images DIR or URL)") }
        let source: String
        let expected: String?
        if directory.hasPrefix("http://") {
            // The appliance's catalog: <base>/disk/NAME.json names the file and its digest.
            guard DiskImageCatalog.isValidName(image) else { return .failed("'\(image)' is not a valid image name") }
            let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            do {
                let record = try JSONDecoder().decode(DiskImage.self, from: Data(HTTPImageSource.fetch("\(base)/\(DiskImageCatalog.subdirectory)/\(image).json")))
                source = "\(base)/\(DiskImageCatalog.subdirectory)/\(record.file)"
                expected = record.sha256
            } catch {
                return .failed("image '\(image)' not found at \(base): \(error)")
            }
        } else {
            guard let path = Self.locate(image, in: directory) else { return .failed("image '\(image)' not found in \(directory)") }
            source = path
            expected = Self.expectedDigest(for: path)
        }
        if context.dryRun {
            context.log("would apply \(source) to \(destination)")
            return .exited(0)
        }
        do {
            let input: any ImageSource = source.hasPrefix("http://") ? try HTTPImageSource(url: source) : try FileImageSource(path: source)
            let result = try apply(input, name: source, destination: destination, expected: expected, context: context)
            return result
        } catch let failure as SparseWriter.Failure {
            return .failed(failure.description)
        } catch let failure as DecodeFailure {
            return .failed("\(image): \(failure.description)")
        } catch let failure as SourceFailure {
            return .failed(failure.description)
        } catch {
            return .failed("\(image): \(error)")
        }
    }

    /// The image file for `name`: `DIR/name` or with one of `extensions`, then the same in
    /// `DIR/disk/` (the appliance's disk-image catalog, `netboot images add`); names with `/`
    /// or a leading `.` are refused.
    public static func locate(_ name: String, in directory: String) -> String? {
        guard !name.contains("/"), !name.hasPrefix("."), !name.isEmpty else { return nil }
        for folder in [directory, directory + "/" + DiskImageCatalog.subdirectory] {
            for suffix in extensions {
                let path = "\(folder)/\(name)\(suffix)"
                var status = stat()
                if stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG { return path }
            }
        }
        return nil
    }

    /// The first word of `<image>.sha256`, if it is 64 hex digits.
    public static func expectedDigest(for image: String) -> String? {
        guard let text = try? String(contentsOfFile: image + ".sha256", encoding: .utf8) else { return nil }
        let word = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.map(String.init)?.lowercased() ?? ""
        return word.count == 64 && word.allSatisfy(\.isHexDigit) ? word : nil
    }

    private func apply(_ input: any ImageSource, name source: String, destination: String, expected: String?,
                       context: StepContext) throws -> DriverResult {
        let compression = ImageCompression.detect(try input.peek(8))
        let decoder = try StreamDecoders.make(compression)
        guard let hasher = SHA256Stream() else { return .failed("libcrypto has no SHA-256") }
        let writer = try SparseWriter(path: destination)
        context.log("applying \(source) (\(compression.rawValue), \(input.size.map { "\($0) bytes" } ?? "size unknown")) to \(destination)\(writer.sparse ? " (sparse)" : "")")

        var progress = TransferProgress(startedAt: Monotonic.now(), sourceTotal: input.size)
        var lastLog = progress.startedAt
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        // Decoding on this thread; hashing, and zero checks and writes, on a thread each when
        // there is more than one CPU, else everything here.
        let sinks = Sinks(hasher: hasher, writer: writer)
        let ring = parallel ? ChunkRing(chunkSize: Self.chunkSize, count: Self.ringChunks, consumers: 2) : nil
        if let ring {
            Thread { ring.drain(consumer: 0) { sinks.hasher.update($0) } }.start()
            Thread { ring.drain(consumer: 1) { try sinks.writer.write($0) } }.start()
        }
        let sink: (UnsafeRawBufferPointer) throws -> Void
        if let ring { sink = ring.append } else { sink = sinks.consume }
        do {
            while true {
                if context.cancellation.isCancelled {
                    ring?.abandon()
                    return .failed("cancelled after \(ring?.consumed ?? writer.offset) bytes")
                }
                let n = try input.read(into: buffer)
                if n == 0 { break }
                progress.sourceRead += n
                try decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), sink: sink)
                let now = Monotonic.now()
                if now - lastLog >= 1 {
                    lastLog = now
                    progress.written = ring?.consumed ?? writer.offset
                    context.log("progress: \(progress.line(now: now))")
                    context.progress(progress.written, Int(progress.rate(now: now)), progress.eta(now: now).map { Int($0.rounded()) })
                }
            }
            try decoder.finish(sink: sink)
            try ring?.close()
        } catch {
            ring?.abandon()
            throw error
        }
        progress.written = writer.offset
        let digest = hasher.finish()
        do {
            try writer.finish()
        } catch {
            guard writer.isBlockDevice, error.description.hasPrefix("re-reading") else { throw error }
            context.log(error.description)
        }
        let now = Monotonic.now()
        context.log("applied \(progress.written) bytes (\(writer.skipped) in zero blocks skipped) in \(String(format: "%.2f", now - progress.startedAt)) s, \(progress.line(now: now)); sha256 \(digest)")
        if let expected, expected != digest {
            return .failed("SHA-256 mismatch: \(source) should be \(expected), the written content is \(digest)")
        }
        if expected == nil { context.log("no \(source).sha256: the content was hashed but not checked") }
        if context.verifyAfterWrite {
            let readBack = try Self.digest(of: destination, length: progress.written)
            guard readBack == digest else { return .failed("read-back verify failed: \(destination) holds \(readBack), written \(digest)") }
            context.log("read-back verify: \(destination) matches")
        }
        if writer.isBlockDevice, context.targetRoot != "/" {
            // The steps after the apply write into the applied system: mount its root there.
            do {
                context.log(try TargetRootMount.mountRoot(of: destination, at: context.targetRoot))
            } catch {
                return .failed(error.description)
            }
        }
        return .exited(0)
    }

    /// SHA-256 of the first `length` bytes of `path`.
    public static func digest(of path: String, length: Int) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SparseWriter.Failure(description: "cannot open \(path) to verify: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard let hasher = SHA256Stream() else { throw SparseWriter.Failure(description: "libcrypto has no SHA-256") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var left = length
        while left > 0 {
            let n = read(fd, buffer.baseAddress, min(left, buffer.count))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw SparseWriter.Failure(description: "\(path) is shorter than the image") }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            left -= n
        }
        return hasher.finish()
    }
}

/// The hasher and the writer, each used by one of the ring's consuming threads (or both by
/// the step's thread, without a ring).
///
/// `@unchecked Sendable`: each field is used by its one consumer thread until
/// `ChunkRing.close` or `abandon` has returned (both wait for the consumers to finish), and
/// only by the caller after that.
private final class Sinks: @unchecked Sendable {
    let hasher: SHA256Stream
    let writer: SparseWriter

    init(hasher: SHA256Stream, writer: SparseWriter) {
        self.hasher = hasher
        self.writer = writer
    }

    /// Both on the calling thread (one CPU).
    func consume(_ chunk: UnsafeRawBufferPointer) throws {
        hasher.update(chunk)
        try writer.write(chunk)
    }
}

/// Seconds on the monotonic clock, for progress and rates in the drivers (a shell).
enum Monotonic {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
