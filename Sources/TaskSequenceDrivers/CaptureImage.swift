import CZstd
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Capture OS X Image (seed L4525-4614), Linux, local: reads `sourceDisk` (a device or file)
/// and stores it, zstd-compressed, as a disk image of the catalog in `--images DIR/disk/`
/// under the name in `directory` (`PmmOSDCaptureDestinationDir`), hashing the raw content as
/// it goes; then logs the seed's `New image distributed: NAME`. Sending it to the appliance
/// through the bridge is issue 16 §6; `share`, `account` and `password` are for the Mac's SMB
/// share and are not used here.
public struct CaptureImageDriver: StepDriver {
    public init() {}

    public func run(_ step: ResolvedStep, context: StepContext) -> DriverResult {
        guard let source = step.properties["sourceDisk"], source.hasPrefix("/") else {
            return .failed("sourceDisk '\(step.properties["sourceDisk"] ?? "")' is not a device or file path")
        }
        let name = step.properties["directory"] ?? ""
        guard DiskImageCatalog.isValidName(name) else { return .failed("'\(name)' is not a valid image name for the captured image") }
        guard let directory = context.imagesDirectory, !directory.hasPrefix("http://") else {
            return .failed("capturing needs a local images directory (--images DIR)")
        }
        if context.dryRun {
            context.log("would capture \(source) as \(name)")
            return .exited(0)
        }
        do {
            let image = try DiskImageCatalog.capture(source: source, name: name, imagesDirectory: directory,
                                                     cancellation: context.cancellation)
            context.log("captured \(source): \(image.rawSize) bytes, \(image.size) compressed, sha256 \(image.sha256)")
            context.log("New image distributed: \(image.name)")
            return .exited(0)
        } catch {
            return .failed("\(error)")
        }
    }
}

extension DiskImageCatalog {
    /// Reads `source` whole, compresses it with zstd (level 3, two worker threads) into
    /// `<images>/disk/NAME.img.zst` and writes its `.sha256` and record, like `add`.
    public static func capture(source: String, name: String, imagesDirectory: String, replace: Bool = true,
                               cancellation: Cancellation = Cancellation(),
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
        guard let context = ZSTD_createCCtx() else { throw Failure(description: "zstd could not start") }
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, 3)
        ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, 2)
        guard let hasher = SHA256Stream() else { throw Failure(description: "libcrypto has no SHA-256") }
        let inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ApplyImageDriver.chunkSize, alignment: 4096)
        let outBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ApplyImageDriver.chunkSize, alignment: 4096)
        defer {
            inBuffer.deallocate()
            outBuffer.deallocate()
        }
        var rawSize = 0
        var size = 0
        func emit(_ count: Int) throws {
            var done = 0
            while done < count {
                let n = write(output, outBuffer.baseAddress.map { $0 + done }, count - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw Failure(description: "write \(temporary): \(String(cString: strerror(errno)))") }
                done += n
            }
            size += count
        }
        var finished = false
        while !finished {
            if cancellation.isCancelled { throw Failure(description: "cancelled after \(rawSize) bytes") }
            let n = read(input, inBuffer.baseAddress, inBuffer.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw Failure(description: "read \(source): \(String(cString: strerror(errno)))") }
            hasher.update(UnsafeRawBufferPointer(rebasing: inBuffer[0..<n]))
            rawSize += n
            let directive = n == 0 ? ZSTD_e_end : ZSTD_e_continue
            var zin = ZSTD_inBuffer(src: inBuffer.baseAddress, size: n, pos: 0)
            while true {
                var zout = ZSTD_outBuffer(dst: outBuffer.baseAddress, size: outBuffer.count, pos: 0)
                let remaining = ZSTD_compressStream2(context, &zout, &zin, directive)
                if ZSTD_isError(remaining) != 0 { throw Failure(description: "zstd: \(String(cString: ZSTD_getErrorName(remaining)))") }
                try emit(zout.pos)
                if directive == ZSTD_e_end {
                    if remaining == 0 { finished = true; break }
                } else if zin.pos >= zin.size {
                    break
                }
            }
        }
        guard fsync(output) == 0, rename(temporary, "\(directory)/\(file)") == 0 else {
            throw Failure(description: "cannot store \(file) in \(directory): \(String(cString: strerror(errno)))")
        }
        keep = true
        let image = DiskImage(name: name, file: file, compression: .zstd, size: size, rawSize: rawSize, sha256: hasher.finish(), added: now)
        try AtomicFile.write(Array("\(image.sha256)  \(name)\n".utf8), to: "\(directory)/\(file).sha256", mode: 0o644)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try encoder.encode(image)), to: "\(directory)/\(name).json", mode: 0o644)
        return image
    }
}
