/// Parses HTTP/1.1 request heads from the bytes a connection has received (RFC 9112 §2–§6).
///
/// Feed it the connection's unconsumed bytes; it answers ``Outcome/needMore``, a
/// ``RequestHead`` with the number of bytes it took, or a ``RequestHeadError`` carrying the
/// status to answer before closing. Between a `needMore` and the next call the caller may only
/// append bytes (the parser remembers how far it searched, so a head trickling in byte by byte
/// costs linear, not quadratic, time). After a head or an error it starts afresh.
///
/// - Lines end in CRLF or a bare LF (§2.2); a bare CR elsewhere is an error. Empty lines before
///   the request line are skipped (§2.2).
/// - Request line (§3): `token SP target SP HTTP/d.d`, single spaces; `HTTP/1.x` only, another
///   major version is 505.
/// - Field lines (§5): a token name, the colon right after it (whitespace before it is 400,
///   §5.1), optional whitespace around the value, no obsolete folding (400, §5.2), no control
///   bytes in the value.
/// - Framing (§6.3): a valid `Content-Length` (repeats must agree); any `Transfer-Encoding` is
///   501 (or 400 together with `Content-Length`, or in HTTP/1.0). HTTP/1.1 needs exactly one
///   `Host` (RFC 9112 §3.2).
/// - Limits: a request target over ``Limits/maxTargetBytes`` is 414 (and so is a request line
///   that does not end within that plus ``Limits/requestLineSlack``); field lines over
///   ``Limits/maxFieldBytes`` together are 431 — both decided as soon as the bytes show it, so
///   an endless head is never buffered.
public struct RequestHeadParser: Sendable {
    public struct Limits: Equatable, Sendable {
        /// Longest request target, bytes.
        public var maxTargetBytes: Int
        /// All field lines together (with their line ends and the final empty line), bytes.
        public var maxFieldBytes: Int

        public init(maxTargetBytes: Int = 8192, maxFieldBytes: Int = 32 * 1024) {
            self.maxTargetBytes = maxTargetBytes
            self.maxFieldBytes = maxFieldBytes
        }
    }

    public enum Outcome: Equatable, Sendable {
        case needMore
        /// A complete head; `length` bytes of the input (leading empty lines included) made it.
        case head(RequestHead, length: Int)
        case error(RequestHeadError)
    }

    /// Room for the method, two spaces, the version and the line end around the longest target.
    public static let requestLineSlack = 64

    public let limits: Limits
    /// Bytes already searched for the end of the head.
    private var scanned = 0
    /// Offset of the request line's LF once seen.
    private var lineEnd: Int?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Forgets a partly seen head (the caller dropped its bytes).
    public mutating func reset() {
        scanned = 0
        lineEnd = nil
    }

    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let count = bytes.count
        if scanned > count { reset() }  // not the bytes we saw before: start over
        // Empty lines before the request line (§2.2).
        var start = 0
        while start < count {
            if bytes[start] == Self.lf {
                start += 1
            } else if bytes[start] == Self.cr, start + 1 < count, bytes[start + 1] == Self.lf {
                start += 2
            } else {
                break
            }
        }
        let lineLimit = limits.maxTargetBytes + Self.requestLineSlack
        if start > lineLimit { return finish(.error(.badRequest(.blankLines))) }
        if start == count || (start + 1 == count && bytes[start] == Self.cr) { return .needMore }

        let requestLineEnd: Int
        if let known = lineEnd {
            requestLineEnd = known
        } else {
            var index = max(scanned, start)
            while index < count, bytes[index] != Self.lf { index += 1 }
            if index - start > lineLimit { return finish(.error(.targetTooLong)) }
            guard index < count else {
                scanned = count
                return .needMore
            }
            requestLineEnd = index
            lineEnd = index
        }
        // The head ends at the first LF that closes an empty line: "\n\n" or "\n\r\n".
        var index = max(scanned, requestLineEnd + 1)
        var end: Int?
        while index < count {
            if bytes[index] == Self.lf {
                let previous = bytes[index - 1]
                if previous == Self.lf || (previous == Self.cr && bytes[index - 2] == Self.lf) {
                    end = index + 1
                    break
                }
            }
            index += 1
        }
        let fieldBytes = (end ?? count) - (requestLineEnd + 1)
        if fieldBytes > limits.maxFieldBytes { return finish(.error(.headerTooLarge)) }
        guard let end else {
            scanned = count
            return .needMore
        }
        let outcome = Self.parseHead(bytes, start: start, lineEnd: requestLineEnd, end: end, limits: limits)
        return finish(outcome)
    }

    private mutating func finish(_ outcome: Outcome) -> Outcome {
        reset()
        return outcome
    }

    // MARK: the complete head

    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let tab: UInt8 = 0x09

    /// Parses a head known to be complete: request line `[start, lineEnd)`, field lines up to
    /// `end` (just past the final empty line).
    private static func parseHead(_ bytes: UnsafeRawBufferPointer, start: Int, lineEnd: Int, end: Int,
                                  limits: Limits) -> Outcome {
        var head: RequestHead
        switch parseRequestLine(bytes, start: start, end: stripCR(bytes, start, lineEnd), limits: limits) {
        case let .success(line): head = line
        case let .failure(error): return .error(error)
        }
        var fields = Fields()
        var lineStart = lineEnd + 1
        while true {
            var next = lineStart
            while bytes[next] != Self.lf { next += 1 }  // the head ends in an LF, so this stops
            let lineStop = stripCR(bytes, lineStart, next)
            if lineStop == lineStart { break }  // the empty line
            if let error = fields.parseLine(bytes, lineStart, lineStop) { return .error(error) }
            lineStart = next + 1
        }
        if let error = fields.apply(to: &head) { return .error(error) }
        return .head(head, length: end)
    }

    /// `end` without one trailing CR. A CR anywhere else is caught by the byte checks.
    private static func stripCR(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int {
        end > start && bytes[end - 1] == cr ? end - 1 : end
    }

    private static func parseRequestLine(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int,
                                         limits: Limits) -> Result<RequestHead, RequestHeadError> {
        // method
        var index = start
        while index < end, isTokenByte(bytes[index]) { index += 1 }
        guard index < end, bytes[index] == sp else {
            return .failure(.badRequest(index == start || index == end ? .requestLine : .method))
        }
        guard index > start else { return .failure(.badRequest(.requestLine)) }
        let methodEnd = index
        // target: visible ASCII or UTF-8 bytes, up to the next space
        index += 1
        let targetStart = index
        var ascii = true
        while index < end, bytes[index] != sp {
            let byte = bytes[index]
            if byte >= 0x80 {
                ascii = false
            } else if byte <= sp || byte == 0x7F {
                return .failure(.badRequest(.target))
            }
            index += 1
        }
        let targetEnd = index
        if targetEnd - targetStart > limits.maxTargetBytes { return .failure(.targetTooLong) }
        guard targetEnd > targetStart, index < end else { return .failure(.badRequest(.requestLine)) }
        // version: exactly "HTTP/" DIGIT "." DIGIT, then the end of the line
        index += 1
        guard end - index == 8, matches(bytes, index, "HTTP/"), bytes[index + 6] == UInt8(ascii: "."),
              let major = digit(bytes[index + 5]), let minor = digit(bytes[index + 7]) else {
            return .failure(.badRequest(.version))
        }
        guard major == 1 else { return .failure(.versionNotSupported) }

        let targetBytes = UnsafeRawBufferPointer(rebasing: bytes[targetStart..<targetEnd])
        let target: String
        if ascii {
            target = String(decoding: targetBytes, as: UTF8.self)
        } else {
            guard let text = String(validating: targetBytes, as: UTF8.self) else {
                return .failure(.badRequest(.target))
            }
            target = text
        }
        let method: RequestHead.Method
        if methodEnd - start == 3, matches(bytes, start, "GET") {
            method = .get
        } else if methodEnd - start == 4, matches(bytes, start, "HEAD") {
            method = .head
        } else {
            method = .other(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<methodEnd]), as: UTF8.self))
        }
        let minorVersion: UInt8 = minor == 0 ? 0 : 1
        return .success(RequestHead(method: method, target: target, minorVersion: minorVersion,
                                    keepAlive: minorVersion == 1))
    }

    /// `tchar` (RFC 9110 §5.6.2).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func digit(_ byte: UInt8) -> UInt8? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
    }

    /// The bytes at `index` equal `text` exactly (the caller checked the length).
    static func matches(_ bytes: UnsafeRawBufferPointer, _ index: Int, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] { return false }
        return true
    }
}
