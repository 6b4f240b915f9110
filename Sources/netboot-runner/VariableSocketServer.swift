import Foundation
import RunnerCore
#if canImport(Glibc)
import Glibc
#endif

/// The runner's end of `tsvar`: a Unix stream socket in the state directory (mode 0600 in a
/// 0700 directory), and a peer-credential check, so only the runner's user can talk to it.
/// One JSON request line in, one JSON response line out; requests are answered on the run
/// loop (through `EventQueue`) so variable sets are ordered with step events.
final class VariableSocketServer: @unchecked Sendable {
    static let maxRequest = 1 << 20

    let path: String
    private let descriptor: Int32
    private let queue: EventQueue
    private let log: @Sendable (String) -> Void

    init(path: String, queue: EventQueue, log: @escaping @Sendable (String) -> Void) throws {
        self.path = path
        self.queue = queue
        self.log = log
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RunnerError.io("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw RunnerError.io("state directory path too long for a Unix socket: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let previous = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previous)
        guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw RunnerError.io("cannot listen on \(path): \(String(cString: strerror(code)))")
        }
        descriptor = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting and removes the socket (the thread ends on the closed descriptor).
    func close() {
        unlink(path)
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
    }

    private func acceptLoop() {
        while true {
            let client = accept(descriptor, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { Glibc.close(client) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(client, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
              credentials.uid == geteuid() || credentials.uid == 0 else {
            log("tsvar: refused a connection from uid \(credentials.uid)")
            return
        }
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while request.count < Self.maxRequest, !request.contains(0x0A) {
            let n = read(client, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            request += buffer[0..<n]
        }
        let response: VariableUtility.Response
        if let line = request.split(separator: 0x0A).first,
           let decoded = try? JSONDecoder().decode(VariableUtility.Request.self, from: Data(line)) {
            let answered = DispatchSemaphore(value: 0)
            let box = ResponseBox()
            queue.post(.variableRequest(decoded, reply: { reply in
                box.set(reply)
                answered.signal()
            }))
            answered.wait()
            response = box.value ?? .refused(code: .protocolError, message: "no answer")
        } else {
            response = .refused(code: .protocolError, message: "the request is not a tsvar request")
        }
        guard var data = try? JSONEncoder().encode(response) else { return }
        data.append(0x0A)
        _ = data.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
    }
}

/// Linux `struct ucred` (SO_PEERCRED), which Glibc only declares with _GNU_SOURCE.
private struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = UInt32.max
    var gid: UInt32 = UInt32.max
}

private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: VariableUtility.Response?
    func set(_ value: VariableUtility.Response) { lock.lock(); stored = value; lock.unlock() }
    var value: VariableUtility.Response? { lock.lock(); defer { lock.unlock() }; return stored }
}
