#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Foundation

/// The CLI's side of the control socket: connect to `state-dir/netboot.sock`, send one request
/// line, read one reply line (blocking, with a deadline). Plain POSIX: the CLI needs no event loop.
public enum ControlClient {
    /// Why no reply came.
    public enum Failure: Error, CustomStringConvertible {
        /// No socket file, or nobody listens on it: `netboot serve` is not running (for this state dir).
        case notRunning(String)
        /// The socket is there but this user may not connect (it is mode 0600, owned by root).
        case permissionDenied(String)
        /// Anything else: a timeout, a broken connection, an unreadable reply.
        case failed(String)

        public var description: String {
            switch self {
            case .notRunning(let text), .permissionDenied(let text), .failed(let text): text
            }
        }
    }

    /// The outcome of a bare connect.
    public enum Probe: Equatable {
        case answered
        case refused
        case other(String)
    }

    /// Connects and disconnects: `answered` when a server accepts, `refused` when the file is
    /// gone or nobody listens.
    public static func probe(_ path: String) -> Probe {
        switch connect(path) {
        case .success(let fd):
            close(fd)
            return .answered
        case .failure(.notRunning):
            return .refused
        case .failure(let failure):
            return .other(failure.description)
        }
    }

    /// Sends `request` and returns the server's reply (an error reply is a reply, not a throw).
    public static func send(_ request: ControlRequest, to path: String, timeout: Double = 30) throws(Failure) -> ControlReply {
        let fd: Int32
        switch connect(path) {
        case .success(let descriptor): fd = descriptor
        case .failure(let failure): throw failure
        }
        defer { close(fd) }
        let line = request.encoded()
        var written = 0
        while written < line.count {
            let n = line[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("cannot write to \(path): \(lastError())")
            }
            written += n
        }
        let deadline = Date().addingTimeInterval(timeout)
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = reply.firstIndex(of: UInt8(ascii: "\n")) {
                reply.removeSubrange(newline...)
                break
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw .failed("no reply from \(path) within \(Int(timeout)) s") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining * 1000, 60_000)) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .failed("cannot read from \(path): \(lastError())")
            }
            if ready == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("cannot read from \(path): \(lastError())")
            }
            if n == 0 { throw .failed("the server closed the connection without a reply") }
            reply += chunk[0 ..< n]
            guard reply.count <= 256 * 1024 * 1024 else { throw .failed("the server's reply is too long") }
        }
        do {
            return try ControlReply.decode(reply, for: request.command.name)
        } catch {
            throw .failed("\(error)")
        }
    }

    static func connect(_ path: String) -> Result<Int32, Failure> {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            return .failure(.failed("socket path too long (\(bytes.count) bytes, at most 107): \(path)"))
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.failed("socket(): \(lastError())")) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            switch code {
            case ENOENT, ECONNREFUSED, ENOTDIR:
                return .failure(.notRunning("netboot serve is not running (no server on \(path))"))
            case EACCES, EPERM:
                return .failure(.permissionDenied("permission denied connecting to \(path) (the control socket is root's, mode 0600)"))
            default:
                return .failure(.failed("cannot connect to \(path): \(String(cString: strerror(code)))"))
            }
        }
        return .success(fd)
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
