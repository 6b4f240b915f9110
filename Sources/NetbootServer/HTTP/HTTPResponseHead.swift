import BootServices
import NIOCore

/// Writes HTTP/1.1 response heads (RFC 9112 §4 status line, §5 field lines) straight into a
/// `ByteBuffer`: names and reason phrases are static text, numbers are formatted in place, and
/// the only Strings are ones already cached (Date, ETag, Last-Modified, Content-Type). Every
/// value comes from numbers, fixed text or re-encoded paths, never from a request, so none can
/// hold a CR or LF.
extension ByteBuffer {
    /// `HTTP/1.x <code> <reason>` and the fields every response carries: `Server`, `Date`, and
    /// `Connection` when it differs from the version's default (RFC 9112 §9.3).
    mutating func writeHTTPResponseStart(status: Int, minorVersion: UInt8, keepAlive: Bool, date: String) {
        writeStaticString(minorVersion == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        writeHTTPStatus(status)
        writeStaticString("\r\nServer: netboot\r\nDate: ")
        writeString(date)
        writeStaticString("\r\n")
        if !keepAlive {
            writeStaticString("Connection: close\r\n")
        } else if minorVersion == 0 {
            writeStaticString("Connection: keep-alive\r\n")
        }
    }

    /// One field line. `value` must be a server-made value (no CR or LF).
    mutating func writeHTTPField(_ name: StaticString, _ value: String) {
        writeStaticString(name)
        writeStaticString(": ")
        writeString(value)
        writeStaticString("\r\n")
    }

    mutating func writeHTTPField(_ name: StaticString, decimal value: UInt64) {
        writeStaticString(name)
        writeStaticString(": ")
        writeDecimal(value)
        writeStaticString("\r\n")
    }

    /// The fields of a ``FileResponse``, in its order (Content-Type, Accept-Ranges, ETag,
    /// Last-Modified, Content-Range, Content-Length).
    mutating func writeHTTPFields(of plan: FileResponse) {
        if let contentType = plan.contentType { writeHTTPField("Content-Type", contentType) }
        if plan.acceptsRanges { writeStaticString("Accept-Ranges: bytes\r\n") }
        writeHTTPField("ETag", plan.etag.quoted)
        writeHTTPField("Last-Modified", plan.lastModified)
        switch plan.contentRange {
        case let .satisfied(range, size):
            writeStaticString("Content-Range: bytes ")
            writeDecimal(range.lowerBound)
            writeStaticString("-")
            writeDecimal(range.upperBound)
            writeStaticString("/")
            writeDecimal(size)
            writeStaticString("\r\n")
        case let .unsatisfied(size):
            writeStaticString("Content-Range: bytes */")
            writeDecimal(size)
            writeStaticString("\r\n")
        case nil:
            break
        }
        if let length = plan.contentLength { writeHTTPField("Content-Length", decimal: length) }
    }

    /// The empty line that ends the head.
    mutating func writeHTTPHeadEnd() {
        writeStaticString("\r\n")
    }

    /// `<code> <reason>` (RFC 9110 §15) for every status the server sends.
    mutating func writeHTTPStatus(_ status: Int) {
        let line: StaticString = switch status {
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
        default: ""
        }
        if line.utf8CodeUnitCount > 0 {
            writeStaticString(line)
        } else {
            writeDecimal(UInt64(clamping: status))
            writeStaticString(" Status")
        }
    }

    /// `value` in decimal, formatted in place.
    mutating func writeDecimal(_ value: UInt64) {
        if value < 10 {
            writeInteger(UInt8(truncatingIfNeeded: value) + UInt8(ascii: "0"))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits; UInt64.max has 20
        withUnsafeMutableBytes(of: &digits) { scratch in
            var rest = value
            var index = scratch.count
            while rest > 0 {
                index -= 1
                scratch[index] = UInt8(truncatingIfNeeded: rest % 10) + UInt8(ascii: "0")
                rest /= 10
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }
}

/// The reason phrase alone, for the small text bodies of error answers (`404 Not Found\n`).
enum HTTPStatusText {
    static func body(_ status: Int) -> String {
        var buffer = ByteBuffer()
        buffer.writeHTTPStatus(status)
        buffer.writeStaticString("\n")
        return String(buffer: buffer)
    }
}
