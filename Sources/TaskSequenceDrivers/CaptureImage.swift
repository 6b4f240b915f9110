import CZstd
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Capture OS X Image (seed L4525-4614), Linux: reads `sourceDisk` (a device or file) and
/// stores it, zstd-compressed, as a disk image under the name in `directory`
/// (`PmmOSDCaptureDestinationDir`), hashing the raw content as it goes; then logs the seed's
/// `New image distributed: NAME`. In a run through the bridge (`context.imageUploader`) the
/// compressed stream goes to the appliance, which registers it in its catalog; otherwise into
/// the catalog of `--images DIR`. `share`, `account` and `password` are for the Mac's SMB share
/// and are not used here. `extent: partitions` reads only up to the end of the last partition in
/// the disk's MBR or GPT (``PartitionExtent``) instead of the whole device.
public struct CaptureImageDriver: StepDriver {
    public init() {}

    public func run(_ step: ResolvedStep, context: StepContext) -> DriverResult {
        guard let source = step.properties["sourceDisk"], source.hasPrefix("/") else {
            return .failed("sourceDisk '\(step.properties["sourceDisk"] ?? "")' is not a device or file path")
        }
        let name = step.properties["directory"] ?? ""
        guard DiskImageCatalog.isValidName(name) else { return .failed("'\(name)' is not a valid image name for the captured image") }
        let limit: Int?
        switch step.properties["extent"] ?? "disk" {
        case "disk": limit = nil
        case "partitions":
            switch Self.partitionsEnd(source) {
            case .success(let found):
                context.log("capture: \(source) up to the end of its last partition (\(found.table.rawValue.uppercased())): \(found.end) bytes")
                limit = found.end
            case .failure(let failure):
                return .failed("extent partitions: \(source): \(failure)")
            }
        case let other:
            return .failed("extent '\(other)' is neither 'disk' nor 'partitions'")
        }
        if let uploader = context.imageUploader {
            return upload(source, as: name, to: uploader, limit: limit, context: context)
        }
        guard let directory = context.imagesDirectory, !directory.hasPrefix("http://") else {
            return .failed("capturing needs a local images directory (--images DIR) or a run through the bridge (--bridge)")
        }
        if context.dryRun {
            context.log("would capture \(source) as \(name)")
            return .exited(0)
        }
        do {
            let image = try DiskImageCatalog.capture(source: source, name: name, imagesDirectory: directory,
                                                     limit: limit, cancellation: context.cancellation)
            context.log("captured \(source): \(image.rawSize) bytes, \(image.size) compressed, sha256 \(image.sha256)")
            context.log("New image distributed: \(image.name)")
            return .exited(0)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Streams the compressed image to the appliance, its digest in a ``CaptureDigestFrame`` at
    /// the end; the appliance checks it, registers the image and says so.
    /// Where `source`'s last partition ends, from its first sectors.
    static func partitionsEnd(_ source: String) -> Result<(table: PartitionExtent.Table, end: Int), PartitionExtent.Failure> {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return .failure(.init(description: "cannot open it: \(String(cString: strerror(errno)))")) }
        defer { close(input) }
        var head = [UInt8](repeating: 0, count: PartitionExtent.headBytes)
        var got = 0
        while got < head.count {
            let n = head.withUnsafeMutableBytes { pread(input, $0.baseAddress.map { $0 + got }, $0.count - got, off_t(got)) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return .failure(.init(description: "read: \(String(cString: strerror(errno)))")) }
            if n == 0 { break }
            got += n
        }
        do {
            let found = try PartitionExtent.end(of: Array(head[0..<got]))
            return .success(found)
        } catch {
            return .failure(error)
        }
    }

    private func upload(_ source: String, as name: String, to uploader: any ImageUploader, limit: Int?,
                        context: StepContext) -> DriverResult {
        if context.dryRun {
            context.log("would capture \(source) as \(name) and send it to \(uploader.destination)")
            return .exited(0)
        }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return .failed("cannot open \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        var total: Int?
        var info = stat()
        if fstat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total = Int(info.st_size) }
        if let limit { total = min(total ?? limit, limit) }
        var meter = TransferProgress(startedAt: Date().timeIntervalSince1970, sourceTotal: total)
        var reported = meter.startedAt
        var captured: ZstdCapture.Result?
        do {
            let answer = try uploader.upload(name: name) { send in
                let result = try ZstdCapture.compress(input, source: source, limit: limit, cancellation: context.cancellation, emit: send) { raw in
                    meter.sourceRead = raw
                    meter.written = raw
                    let now = Date().timeIntervalSince1970
                    guard now - reported >= 1 else { return }
                    reported = now
                    context.progress(raw, Int(meter.rate(now: now)), meter.eta(now: now).map { Int($0.rounded()) })
                    context.log("capture: \(meter.line(now: now))")
                }
                guard let frame = CaptureDigestFrame.encode(sha256: result.sha256) else { throw DiskImageCatalog.Failure(description: "bad digest") }
                try frame.withUnsafeBytes { try send($0) }
                captured = result
            }
            if let captured {
                context.log("captured \(source): \(captured.rawSize) bytes, \(captured.size) compressed, sha256 \(captured.sha256)")
            }
            context.log("sent to \(uploader.destination): \(answer)")
            context.log("New image distributed: \(name)")
            return .exited(0)
        } catch {
            return .failed("capture of \(source) as '\(name)' not stored: \(error)")
        }
    }
}

/// A place a captured image can be sent to: the appliance, through the bridge's
/// `PUT /v1/runs/{id}/images/{name}` (netboot-runner's `BridgeImageUploader`).
public protocol ImageUploader: Sendable {
    /// Where images go, for log lines (no token in it).
    var destination: String { get }
    /// Sends one image: `body` writes the stream through the function it is given; returns
    /// the appliance's short account of the stored image. Throws when it was not stored.
    func upload(name: String, body: (_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> String
}

/// zstd compression of a capture (level 3, two worker threads) while hashing the raw content.
enum ZstdCapture {
    struct Result {
        var rawSize: Int
        var size: Int
        var sha256: String
    }

    /// Reads `input` to its end (or its first `limit` bytes) and hands every compressed piece to
    /// `emit`; `read` sees the raw bytes read so far.
    static func compress(_ input: Int32, source: String, limit: Int? = nil, cancellation: Cancellation,
                         emit: (UnsafeRawBufferPointer) throws -> Void, read rawProgress: (Int) -> Void = { _ in }) throws -> Result {
        guard let context = ZSTD_createCCtx() else { throw DiskImageCatalog.Failure(description: "zstd could not start") }
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, 3)
        ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, 2)
        guard let hasher = SHA256Stream() else { throw DiskImageCatalog.Failure(description: "libcrypto has no SHA-256") }
        let inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ApplyImageDriver.chunkSize, alignment: 4096)
        let outBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ApplyImageDriver.chunkSize, alignment: 4096)
        defer {
            inBuffer.deallocate()
            outBuffer.deallocate()
        }
        var rawSize = 0
        var size = 0
        var finished = false
        while !finished {
            if cancellation.isCancelled { throw DiskImageCatalog.Failure(description: "cancelled after \(rawSize) bytes") }
            let wanted = limit.map { min(inBuffer.count, max(0, $0 - rawSize)) } ?? inBuffer.count
            let n = wanted == 0 ? 0 : read(input, inBuffer.baseAddress, wanted)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw DiskImageCatalog.Failure(description: "read \(source): \(String(cString: strerror(errno)))") }
            hasher.update(UnsafeRawBufferPointer(rebasing: inBuffer[0..<n]))
            rawSize += n
            rawProgress(rawSize)
            let directive = n == 0 ? ZSTD_e_end : ZSTD_e_continue
            var zin = ZSTD_inBuffer(src: inBuffer.baseAddress, size: n, pos: 0)
            while true {
                var zout = ZSTD_outBuffer(dst: outBuffer.baseAddress, size: outBuffer.count, pos: 0)
                let remaining = ZSTD_compressStream2(context, &zout, &zin, directive)
                if ZSTD_isError(remaining) != 0 {
                    throw DiskImageCatalog.Failure(description: "zstd: \(String(cString: ZSTD_getErrorName(remaining)))")
                }
                if zout.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: outBuffer[0..<zout.pos])) }
                size += zout.pos
                if directive == ZSTD_e_end {
                    if remaining == 0 { finished = true; break }
                } else if zin.pos >= zin.size {
                    break
                }
            }
        }
        return Result(rawSize: rawSize, size: size, sha256: hasher.finish())
    }
}

extension DiskImageCatalog {
    /// Reads `source` whole (or its first `limit` bytes), compresses it with zstd (level 3, two
    /// worker threads) into `<images>/disk/NAME.img.zst` and writes its `.sha256` and record, like `add`.
    public static func capture(source: String, name: String, imagesDirectory: String, replace: Bool = true,
                               limit: Int? = nil, cancellation: Cancellation = Cancellation(),
                               now: Double = Date().timeIntervalSince1970) throws -> DiskImage {
        let (directory, input) = try destination(name: name, imagesDirectory: imagesDirectory, replace: replace, source: source)
        defer { close(input) }
        let file = name + fileExtension(.zstd)
        let temporary = "\(directory)/.\(file).capturing-\(getpid())"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw Failure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var keep = false
        defer {
            close(output)
            if !keep { unlink(temporary) }
        }
        let result = try ZstdCapture.compress(input, source: source, limit: limit, cancellation: cancellation) { chunk in
            var done = 0
            while done < chunk.count {
                let n = write(output, chunk.baseAddress.map { $0 + done }, chunk.count - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw Failure(description: "write \(temporary): \(String(cString: strerror(errno)))") }
                done += n
            }
        }
        guard fsync(output) == 0, rename(temporary, "\(directory)/\(file)") == 0 else {
            throw Failure(description: "cannot store \(file) in \(directory): \(String(cString: strerror(errno)))")
        }
        keep = true
        let image = DiskImage(name: name, file: file, compression: .zstd, size: result.size, rawSize: result.rawSize,
                              sha256: result.sha256, added: now)
        try AtomicFile.write(Array("\(image.sha256)  \(name)\n".utf8), to: "\(directory)/\(file).sha256", mode: 0o644)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try encoder.encode(image)), to: "\(directory)/\(name).json", mode: 0o644)
        return image
    }
}
