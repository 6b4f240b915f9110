import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the apply-image driver reads an image from: a local file, or the appliance's image
/// server over HTTP (with ranges, so a dropped connection goes on where it stopped).
protocol ImageSource: AnyObject {
    /// Bytes in all, when known.
    var size: Int? { get }
    /// The first bytes (to tell the compression) without consuming them.
    func peek(_ count: Int) throws -> [UInt8]
    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

struct SourceFailure: Error, CustomStringConvertible {
    var description: String
}

final class FileImageSource: ImageSource {
    private let descriptor: Int32
    let size: Int?
    let path: String

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SourceFailure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        fstat(descriptor, &status)
        size = Int(status.st_size)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { close(descriptor) }

    func peek(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = pread(descriptor, &bytes, count, 0)
        return Array(bytes.prefix(max(0, got)))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw SourceFailure(description: "read \(path): \(String(cString: strerror(errno)))") }
            return n
        }
    }
}

/// An `http://host[:port]/path` URL, split (no TLS, no credentials: the lab network's image
/// server; the bridge's authenticated channel is issue 16 §6).
struct HTTPLocation: Equatable {
    var host: String
    var port: UInt16
    var path: String

    init?(_ url: String) {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard !authority.isEmpty, !authority.contains("@"), path.allSatisfy({ $0 > " " && $0 != "\u{7F}" }) else { return nil }
        if let colon = authority.lastIndex(of: ":"), !authority.hasPrefix("[") {
            guard let port = UInt16(authority[authority.index(after: colon)...]), port > 0 else { return nil }
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty else { return nil }
    }
}

/// The head of an HTTP/1.1 response: status and the fields the image client needs.
struct HTTPResponseHeadFields: Equatable {
    var status: Int
    var contentLength: Int?
    /// `Content-Range: bytes START-END/TOTAL`.
    var rangeStart: Int?
    var total: Int?

    /// Parses the head (up to the blank line, excluded); nil when it is not HTTP/1.x.
    static func parse(_ text: String) -> HTTPResponseHeadFields? {
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else { return nil }
        var head = HTTPResponseHeadFields(status: status)
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { head.contentLength = Int(value) }
            if name == "content-range", value.hasPrefix("bytes ") {
                let spec = value.dropFirst("bytes ".count)
                let parts = spec.split(separator: "/")
                if parts.count == 2, let dash = parts[0].firstIndex(of: "-") {
                    head.rangeStart = Int(parts[0][..<dash])
                    head.total = Int(parts[1])
                }
            }
        }
        return head
    }
}

/// Reads an image from the appliance's HTTP image server. When the connection drops, it asks
/// again from the byte it had reached (`Range: bytes=N-`), up to `maxReconnects` times, so the
/// decoder downstream never notices.
final class HTTPImageSource: ImageSource {
    static let maxReconnects = 5

    let location: HTTPLocation
    private(set) var size: Int?
    private var descriptor: Int32 = -1
    private var pending: [UInt8] = []
    private var offset = 0
    private var reconnects = 0
    private var peeked: [UInt8] = []

    init(url: String) throws {
        guard let location = HTTPLocation(url) else { throw SourceFailure(description: "'\(url)' is not an http:// URL") }
        self.location = location
        try connect(from: 0)
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// GETs a small document whole (a catalog record).
    static func fetch(_ url: String, limit: Int = 1 << 20) throws -> [UInt8] {
        let source = try HTTPImageSource(url: url)
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        while out.count <= limit {
            let n = try source.read(into: buffer)
            if n == 0 { return out }
            out += buffer[0..<n]
        }
        throw SourceFailure(description: "\(url) is larger than \(limit) bytes")
    }

    private func connect(from start: Int) throws {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(location.host, String(location.port), &hints, &list) == 0, let first = list else {
            throw SourceFailure(description: "cannot resolve \(location.host)")
        }
        defer { freeaddrinfo(list) }
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let entry = current {
            let fd = socket(entry.pointee.ai_family, entry.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), entry.pointee.ai_protocol)
            if fd >= 0 {
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 {
                    descriptor = fd
                    break
                }
                close(fd)
            }
            current = entry.pointee.ai_next
        }
        guard descriptor >= 0 else { throw SourceFailure(description: "cannot connect to \(location.host):\(location.port)") }
        var request = "GET \(location.path) HTTP/1.1\r\nHost: \(location.host)\r\nConnection: close\r\nUser-Agent: netboot-runner\r\n"
        if start > 0 { request += "Range: bytes=\(start)-\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw SourceFailure(description: "cannot send the request to \(location.host)")
        }
        // Read the head.
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            if let end = Self.headEnd(head) {
                pending = Array(head[(end + 4)...])
                head = Array(head[..<end])
                break
            }
            guard head.count < 65536 else { throw SourceFailure(description: "\(location.host): response head too long") }
            let n = recv(descriptor, &chunk, chunk.count, 0)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw SourceFailure(description: "\(location.host) closed the connection before answering") }
            head += chunk[0..<n]
        }
        guard let fields = HTTPResponseHeadFields.parse(String(decoding: head, as: UTF8.self)) else {
            throw SourceFailure(description: "\(location.host) did not answer HTTP")
        }
        switch (fields.status, start) {
        case (200, 0):
            size = fields.contentLength
        case (206, _) where fields.rangeStart == start:
            size = fields.total ?? size
        case (200, _):
            throw SourceFailure(description: "\(location.host) does not serve ranges; cannot go on from byte \(start)")
        default:
            throw SourceFailure(description: "\(location.host)\(location.path): HTTP \(fields.status)")
        }
    }

    /// Connects again after a drop; while the server is away (the appliance restarting: its
    /// port refuses), tries again after 0.25, 0.5, 1, 2, 2, … s until `reconnectPatience` has
    /// passed, then gives up with the last failure.
    private func reconnect(from start: Int) throws {
        var waited = 0.0
        var pause = 0.25
        while true {
            do {
                return try connect(from: start)
            } catch let failure as SourceFailure {
                guard waited < Self.reconnectPatience else { throw failure }
                usleep(useconds_t(pause * 1_000_000))
                waited += pause
                pause = min(pause * 2, 2)
            }
        }
    }

    /// How long a dropped image stream waits for the server to come back (seconds).
    static let reconnectPatience = 60.0

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    func peek(_ count: Int) throws -> [UInt8] {
        while peeked.count < count {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count - peeked.count, alignment: 16)
            defer { buffer.deallocate() }
            let n = try readWire(into: buffer)
            if n == 0 { break }
            peeked += buffer[0..<n]
        }
        return Array(peeked.prefix(count))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !peeked.isEmpty {
            let n = min(buffer.count, peeked.count)
            for index in 0..<n { buffer[index] = peeked[index] }
            peeked.removeFirst(n)
            return n
        }
        return try readWire(into: buffer)
    }

    private func readWire(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let size, offset >= size { return 0 }
        if !pending.isEmpty {
            let n = min(buffer.count, pending.count)
            for index in 0..<n { buffer[index] = pending[index] }
            pending.removeFirst(n)
            offset += n
            return n
        }
        while true {
            let n = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if n < 0, errno == EINTR { continue }
            if n > 0 {
                offset += n
                return n
            }
            // The connection ended: the end, or a drop to recover from.
            guard let size, offset < size else { return 0 }
            guard reconnects < Self.maxReconnects else {
                throw SourceFailure(description: "\(location.host): the connection dropped \(reconnects) times at byte \(offset) of \(size)")
            }
            reconnects += 1
            try reconnect(from: offset)
            if !pending.isEmpty { return try readWire(into: buffer) }
        }
    }
}
