import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file so that a crash leaves either the old or the new content: write a
/// temporary file beside it, fsync it, rename it over the old one, fsync the directory.
public enum AtomicFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in buffer.baseAddress.map { Glibc.write(fd, $0 + done, bytes.count - done) } ?? 0 }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                close(fd)
                unlink(temporary)
                throw Failure(description: "write \(temporary): \(String(cString: strerror(code)))")
            }
            done += n
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw Failure(description: "fsync \(temporary): \(String(cString: strerror(code)))")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Failure(description: "rename to \(path): \(String(cString: strerror(code)))")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
