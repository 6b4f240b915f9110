import CSSL
import Foundation
import RunnerCore
#if canImport(Glibc)
import Glibc
#endif

/// The runner's connection to the appliance's bridge (client port, docs/bridge.md): one HTTP/1.1
/// request per connection over TLS, the bridge's self-signed certificate pinned by its SHA-256
/// fingerprint (as `openssl x509 -fingerprint -sha256` prints it, colons optional), or plain
/// HTTP for a bridge with `plain-http`. Blocking and small (no NIO), like the rest of the runner.
final class BridgeClient: @unchecked Sendable {
    struct Response {
        var status: Int
        var body: Data
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    }

    enum Failure: Error, CustomStringConvertible {
        /// No answer: refused, timed out, reset. Queued work is retried later.
        case unreachable(String)
        /// The certificate is not the pinned one: never retried, never sent a token.
        case wrongCertificate(expected: String, found: String)
        case badURL(String)

        var description: String {
            switch self {
            case .unreachable(let text): return "the bridge is unreachable: \(text)"
            case .wrongCertificate(let expected, let found):
                return "the bridge's certificate has SHA-256 fingerprint \(found), not the pinned \(expected); nothing was sent"
            case .badURL(let text): return text
            }
        }
    }

    let url: String
    let host: String
    let port: String
    let tls: Bool
    var token: String
    /// Lower-case hex without colons; nil only for plain HTTP.
    let fingerprint: String?
    let timeout: Int

    init(url: String, token: String, fingerprint: String?, timeout: Int = 10) throws {
        let parts: (tls: Bool, rest: Substring)
        if url.hasPrefix("https://") {
            parts = (true, url.dropFirst(8))
        } else if url.hasPrefix("http://") {
            parts = (false, url.dropFirst(7))
        } else {
            throw Failure.badURL("--bridge: expected https://HOST[:PORT] (or http:// for a plain-http bridge), found '\(url)'")
        }
        let authority = parts.rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var host = authority
        var port = parts.tls ? "8761" : "80"
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = String(authority[authority.index(after: colon)...])
        }
        guard !host.isEmpty, let number = Int(port), (1...65535).contains(number) else {
            throw Failure.badURL("--bridge: no host and port in '\(url)'")
        }
        var pin: String?
        if let fingerprint {
            let hex = fingerprint.lowercased().replacingOccurrences(of: "sha256 fingerprint=", with: "").filter { $0 != ":" }
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw Failure.badURL("--fingerprint: expected a SHA-256 fingerprint (64 hex digits, colons optional)")
            }
            pin = hex
        } else if parts.tls {
            throw Failure.badURL("--fingerprint is needed with https: the bridge's certificate is self-signed (netboot bridge prints it)")
        }
        self.url = url
        self.host = host
        self.port = port
        tls = parts.tls
        self.token = token
        self.fingerprint = pin
        self.timeout = timeout
    }

    /// Sends one request and reads the whole answer. Throws ``Failure`` when there is none.
    func send(_ method: String, _ path: String, json: Data? = nil) throws -> Response {
        var request = head(method, path)
        if let json { request += "Content-Type: application/json\r\nContent-Length: \(json.count)\r\n" }
        request += "\r\n"
        var bytes = Data(request.utf8)
        if let json { bytes.append(json) }
        let answer = try withConnection { channel in
            try writeAll(bytes, channel.write)
            return try readAll(channel.read)
        }
        return try Self.parse(answer)
    }

    /// Sends one request whose body `body` makes while it is sent (chunked transfer coding:
    /// each piece it hands over is one chunk), then reads the answer, waiting up to
    /// `answerTimeout` seconds for it (the bridge checks and stores what it got first). When
    /// the bridge answers and closes before the body is through (a refusal), that answer is
    /// returned. Throws ``Failure`` when there is none, or what `body` throws.
    func stream(_ method: String, _ path: String, headers: [(String, String)] = [], answerTimeout: Int = 600,
                body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Response {
        var request = head(method, path)
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        let answer = try withConnection { channel in
            do {
                try writeAll(Data(request.utf8), channel.write)
                try body { piece in
                    guard let base = piece.baseAddress, piece.count > 0 else { return }
                    try writeAll(Data(String(piece.count, radix: 16).utf8) + Data("\r\n".utf8), channel.write)
                    try writeAll(base, piece.count, channel.write)
                    try writeAll(Data("\r\n".utf8), channel.write)
                }
                try writeAll(Data("0\r\n\r\n".utf8), channel.write)
            } catch let failure as Failure {
                // The bridge may have refused and closed: its answer says why.
                if let early = try? readAll(channel.read), (try? Self.parse(early)) != nil { return early }
                throw failure
            }
            var time = timeval(tv_sec: answerTimeout, tv_usec: 0)
            setsockopt(channel.fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
            return try readAll(channel.read)
        }
        return try Self.parse(answer)
    }

    private func head(_ method: String, _ path: String) -> String {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\n"
        request += "Authorization: Bearer \(token)\r\nAccept: application/json\r\nConnection: close\r\n"
        return request
    }

    /// A connected socket, through TLS (the peer's certificate checked against the pin before
    /// `body` runs) or plain.
    private struct Channel {
        let fd: Int32
        let write: (UnsafeRawPointer, Int) -> Int
        let read: (UnsafeMutableRawPointer, Int) -> Int
    }

    private func withConnection<T>(_ body: (Channel) throws -> T) throws -> T {
        // A bridge that hangs up while we write must be an error, not SIGPIPE ending the run:
        // blocked in this thread only (steps' children keep the default), a pending one consumed.
        var pipe = sigset_t()
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipe, &previous)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var now = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipe, nil, &now)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        let fd = try connect()
        defer { close(fd) }
        guard tls else {
            return try body(Channel(fd: fd, write: { Glibc.send(fd, $0, $1, Int32(MSG_NOSIGNAL)) }, read: { Glibc.read(fd, $0, $1) }))
        }
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw Failure.unreachable("cannot make a TLS context") }
        defer { SSL_CTX_free(context) }
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        // The certificate is checked below against the pin, not against a CA.
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context) else { throw Failure.unreachable("cannot make a TLS session") }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, fd)
        guard SSL_connect(ssl) == 1 else {
            ERR_clear_error()
            throw Failure.unreachable("TLS handshake with \(host):\(port) failed")
        }
        defer { SSL_shutdown(ssl) }
        guard let certificate = SSL_get1_peer_certificate(ssl) else { throw Failure.unreachable("the bridge sent no certificate") }
        defer { X509_free(certificate) }
        let found = Self.fingerprint(certificate)
        guard let fingerprint, found == fingerprint else {
            throw Failure.wrongCertificate(expected: Self.colons(fingerprint ?? ""), found: Self.colons(found))
        }
        return try body(Channel(fd: fd, write: { Int(SSL_write(ssl, $0, Int32(min($1, Int(Int32.max))))) },
                                read: { Int(SSL_read(ssl, $0, Int32(min($1, Int(Int32.max))))) }))
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &list) == 0, let first = list else {
            throw Failure.unreachable("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var problem = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen)
            if result != 0, errno == EINPROGRESS {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&poller, 1, Int32(timeout * 1000)) == 1 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    result = error == 0 ? 0 : -1
                    errno = error
                } else {
                    errno = ETIMEDOUT
                }
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                var time = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                return fd
            }
            problem = String(cString: strerror(errno))
            close(fd)
        }
        throw Failure.unreachable("\(host):\(port): \(problem)")
    }

    private func writeAll(_ bytes: Data, _ write: (UnsafeRawPointer, Int) -> Int) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            try writeAll(base, raw.count, write)
        }
    }

    private func writeAll(_ base: UnsafeRawPointer, _ count: Int, _ write: (UnsafeRawPointer, Int) -> Int) throws {
        var offset = 0
        while offset < count {
            let n = write(base + offset, count - offset)
            guard n > 0 else { throw Failure.unreachable("the connection closed while sending") }
            offset += n
        }
    }

    /// Reads until the peer closes (every request says `Connection: close`), at most 64 MiB.
    private func readAll(_ read: (UnsafeMutableRawPointer, Int) -> Int) throws -> Data {
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while out.count < 64 << 20 {
            let n = buffer.withUnsafeMutableBytes { read($0.baseAddress!, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        guard !out.isEmpty else { throw Failure.unreachable("no answer from \(host):\(port)") }
        return out
    }

    /// The status and body (``HTTPAnswer``); bytes that are no HTTP answer count as none.
    static func parse(_ answer: Data) throws -> Response {
        guard let parsed = HTTPAnswer.parse(Array(answer)) else { throw Failure.unreachable("not an HTTP answer") }
        return Response(status: parsed.status, body: Data(parsed.body))
    }

    static func fingerprint(_ certificate: OpaquePointer) -> String {
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { return "" }
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var pointer = buffer.baseAddress
            _ = i2d_X509(certificate, &pointer)
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var size: UInt32 = 32
        EVP_Digest(der, der.count, &digest, &size, EVP_sha256(), nil)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    static func colons(_ hex: String) -> String {
        var out = ""
        for (index, character) in hex.uppercased().enumerated() {
            if index > 0, index % 2 == 0 { out.append(":") }
            out.append(character)
        }
        return out
    }
}
