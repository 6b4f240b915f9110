import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The current log file of a `LogRotationPolicy`, and its rotation. Not thread-safe: one
/// owner (`LogFileSink`'s writer queue) calls it.
///
/// A write that would take the file past the size limit first archives the file (unless it is
/// empty, so one oversized entry is still written whole): the content is gzipped to a temporary
/// file, the archives shift (`.N` → `.N+1`, the one past `maxFiles` deleted), the temporary
/// file becomes `.1`, and the current file is truncated — in that order, so a crash mid-way
/// loses no line that was already written.
final class RotatingLogFile {
    let policy: LogRotationPolicy
    private var descriptor: Int32
    private(set) var size: Int
    /// After a failed archive: the size at which to try again.
    private var retryRotationAt = 0

    enum Failure: Error, CustomStringConvertible {
        case system(String, path: String, errno: Int32)
        var description: String {
            switch self {
            case let .system(call, path, code): "\(call) \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Creates the directory if needed (`0750`) and opens `<exec>.log` (`0640`, also when it
    /// existed with another mode) for appending.
    init(policy: LogRotationPolicy) throws {
        self.policy = policy
        try FileModes.createDirectory(policy.directory)
        descriptor = open(policy.currentPath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, FileModes.log)
        guard descriptor >= 0 else { throw Failure.system("open", path: policy.currentPath, errno: errno) }
        fchmod(descriptor, FileModes.log)
        var status = stat()
        size = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
    }

    deinit { close(descriptor) }

    /// Appends `bytes`, archiving the current file first if they would take it past the limit.
    /// A failed archive does not lose the line: it is written anyway, the error is thrown after,
    /// and archiving is retried only once another 64 KiB have been written.
    func write(_ bytes: [UInt8]) throws {
        var rotationError: (any Error)?
        if size > 0, size + bytes.count > policy.sizeLimit, size >= retryRotationAt {
            do {
                try rotate()
            } catch {
                rotationError = error
                retryRotationAt = size + 65536
            }
        }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Failure.system("write", path: policy.currentPath, errno: errno)
                }
                offset += written
            }
        }
        size += bytes.count
        if let rotationError { throw rotationError }
    }

    /// Archives the current file as `.1.log.gz` and starts it empty. The content is read
    /// through the open descriptor, so a log file renamed or deleted behind our back is
    /// still archived whole.
    func rotate() throws {
        let archive = try Gzip.compress(try readAll())
        let temporary = policy.archivePath(1) + ".tmp"
        try FileModes.write(archive, to: temporary, mode: FileModes.log)
        shiftArchives()
        guard rename(temporary, policy.archivePath(1)) == 0 else {
            throw Failure.system("rename", path: temporary, errno: errno)
        }
        guard ftruncate(descriptor, 0) == 0 else { throw Failure.system("truncate", path: policy.currentPath, errno: errno) }
        size = 0
        retryRotationAt = 0
    }

    private func readAll() throws -> [UInt8] {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure.system("stat", path: policy.currentPath, errno: errno) }
        var content = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        try content.withUnsafeMutableBytes { buffer in
            while offset < buffer.count {
                let count = pread(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset, off_t(offset))
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw Failure.system("read", path: policy.currentPath, errno: errno) }
                if count == 0 { break }
                offset += count
            }
        }
        return Array(content[..<offset])
    }

    /// Deletes the archives numbered `maxFiles` and above (the one that would pass the limit,
    /// and any left from a larger limit), then renames `.N` to `.N+1`, oldest first.
    private func shiftArchives() {
        for number in policy.maxFiles...LogRotationPolicy.fileLimits.upperBound + 1 {
            unlink(policy.archivePath(number))
        }
        for number in stride(from: policy.maxFiles - 1, through: 1, by: -1) {
            rename(policy.archivePath(number), policy.archivePath(number + 1))
        }
    }
}
