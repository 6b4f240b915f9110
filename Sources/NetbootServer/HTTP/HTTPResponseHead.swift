import BootServices
import NIOCore

/// An HTTP/1.1 response head (RFC 9112 §4 status line, §5 field lines), written straight into a
/// `ByteBuffer` in one pass: names and reason phrases are static text, numbers are formatted in
/// place, and the only Strings are ones already cached (Date, ETag, Last-Modified,
/// Content-Type). Every value comes from numbers, fixed text or re-encoded paths, never from a
/// request, so none can hold a CR or LF.
struct HTTPResponseHead {
    var status: Int
    /// The request's minor version (0 or 1); the answer uses the same.
    var minorVersion: UInt8
    var keepAlive: Bool
    /// The `Date` value (cached per second by the caller).
    var date: String

    /// Writes the status line, `Server`, `Date`, `Connection` when it differs from the
    /// version's default (RFC 9112 §9.3), the fields of `plan`, and the empty line.
    func write(_ plan: FileResponse, into buffer: inout ByteBuffer) {
        var bound = Self.fixedBound + date.utf8.count + plan.etag.quoted.utf8.count + plan.lastModified.utf8.count
        bound += plan.contentType?.utf8.count ?? 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { memory in
            var out = HTTPHeadBytes(memory)
            writeStart(&out)
            if let contentType = plan.contentType { out.field("Content-Type: ", contentType) }
            if plan.acceptsRanges { out.append("Accept-Ranges: bytes\r\n") }
            out.field("ETag: ", plan.etag.quoted)
            out.field("Last-Modified: ", plan.lastModified)
            switch plan.contentRange {
            case let .satisfied(range, size):
                out.append("Content-Range: bytes ")
                out.append(decimal: range.lowerBound)
                out.append("-")
                out.append(decimal: range.upperBound)
                out.append("/")
                out.append(decimal: size)
                out.append("\r\n")
            case let .unsatisfied(size):
                out.append("Content-Range: bytes */")
                out.append(decimal: size)
                out.append("\r\n")
            case nil:
                break
            }
            if let length = plan.contentLength { out.field("Content-Length: ", decimal: length) }
            out.append("\r\n")
            return out.count
        }
    }

    /// Writes a head with `fields` (server-made values), `Content-Type` and `Content-Length`.
    func write(fields: [(StaticString, String)], contentType: String, contentLength: UInt64,
               into buffer: inout ByteBuffer) {
        var bound = Self.fixedBound + date.utf8.count + contentType.utf8.count
        for (name, value) in fields { bound += name.utf8CodeUnitCount + value.utf8.count + 4 }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { memory in
            var out = HTTPHeadBytes(memory)
            writeStart(&out)
            for (name, value) in fields {
                out.append(name)
                out.append(": ")
                out.append(value)
                out.append("\r\n")
            }
            out.field("Content-Type: ", contentType)
            out.field("Content-Length: ", decimal: contentLength)
            out.append("\r\n")
            return out.count
        }
    }

    /// Room for everything but the variable strings: the status line, the fixed names, and
    /// five 20-digit numbers, with a wide margin.
    static let fixedBound = 512

    private func writeStart(_ out: inout HTTPHeadBytes) {
        out.append(minorVersion == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        out.append(Self.statusLine(status) ?? "599 Unknown")
        out.append("\r\nServer: netboot\r\nDate: ")
        out.append(date)
        out.append("\r\n")
        if !keepAlive {
            out.append("Connection: close\r\n")
        } else if minorVersion == 0 {
            out.append("Connection: keep-alive\r\n")
        }
    }

    /// `<code> <reason>` (RFC 9110 §15) for every status the server sends.
    static func statusLine(_ status: Int) -> StaticString? {
        switch status {
        case 200: "200 OK"
        case 206: "206 Partial Content"
        case 301: "301 Moved Permanently"
        case 304: "304 Not Modified"
        case 400: "400 Bad Request"
        case 403: "403 Forbidden"
        case 404: "404 Not Found"
        case 405: "405 Method Not Allowed"
        case 408: "408 Request Timeout"
        case 412: "412 Precondition Failed"
        case 414: "414 URI Too Long"
        case 416: "416 Range Not Satisfiable"
        case 431: "431 Request Header Fields Too Large"
        case 500: "500 Internal Server Error"
        case 501: "501 Not Implemented"
        case 503: "503 Service Unavailable"
        case 505: "505 HTTP Version Not Supported"
        default: nil
        }
    }

    /// The small text body of an error answer: `404 Not Found\n`.
    static func statusText(_ status: Int) -> String {
        guard let line = statusLine(status) else { return String(status) + "\n" }
        return line.description + "\n"
    }
}

/// Bytes appended to a fixed region of memory. Appends that would not fit are dropped and the
/// count stops (``HTTPResponseHead`` sizes the region from the actual strings with a wide
/// margin, so this never happens; if it did, the head would be short, never out of bounds).
struct HTTPHeadBytes {
    private let memory: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= memory.count - count, let base = memory.baseAddress else { return }
        if let source = bytes.baseAddress { (base + count).copyMemory(from: source, byteCount: bytes.count) }
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
        if done == nil {
            var copy = text
            copy.makeContiguousUTF8()
            copy.utf8.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
        }
    }

    mutating func append(decimal value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes; UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var rest = value
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(truncatingIfNeeded: rest % 10) + UInt8(ascii: "0")
                rest /= 10
            } while rest > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }

    mutating func field(_ nameAndColon: StaticString, _ value: String) {
        append(nameAndColon)
        append(value)
        append("\r\n")
    }

    mutating func field(_ nameAndColon: StaticString, decimal value: UInt64) {
        append(nameAndColon)
        append(decimal: value)
        append("\r\n")
    }
}
