/// An HTTP/1.1 request head (RFC 9112 §3 request line, §5 field lines), reduced to what an
/// image server acts on: the method, the raw target, the version, and the few fields it reads,
/// as typed values. Produced by ``RequestHeadParser``; everything else in the head is checked
/// for syntax and dropped.
public struct RequestHead: Equatable, Sendable {
    /// The request method (RFC 9110 §9). Method names are case-sensitive: `get` is not GET.
    public enum Method: Equatable, Sendable {
        case get
        case head
        /// Any other token; the server answers 405. Kept for the access log.
        case other(String)

        public var name: String {
            switch self {
            case .get: "GET"
            case .head: "HEAD"
            case let .other(name): name
            }
        }
    }

    public var method: Method
    /// The request target exactly as sent (origin-form or absolute-form, RFC 9112 §3.2), not
    /// decoded: ``RequestTarget`` does that. Valid UTF-8, no whitespace or control bytes.
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (a later 1.x is read as 1.1, RFC 9110 §6.2).
    public var minorVersion: UInt8
    /// The `Host` field (RFC 9110 §7.2); an HTTP/1.1 request has exactly one.
    public var host: String?
    /// `Range` (RFC 9110 §14.2), `If-Range` (§13.1.5), `If-Modified-Since` (§13.1.3),
    /// `If-Unmodified-Since` (§13.1.4): singletons, the first field wins.
    public var range: String?
    public var ifRange: String?
    public var ifModifiedSince: String?
    public var ifUnmodifiedSince: String?
    /// `If-Match` (§13.1.1) and `If-None-Match` (§13.1.2): lists, repeated fields joined with `, `
    /// (RFC 9110 §5.3).
    public var ifMatch: String?
    public var ifNoneMatch: String?
    /// Whether the connection stays open after the response (RFC 9112 §9.3): HTTP/1.1 unless a
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool
    /// The body's `Content-Length` (0 without one). A `Transfer-Encoding` body is refused by the
    /// parser, so this is the whole body framing (RFC 9112 §6.3).
    public var contentLength: UInt64

    public init(method: Method, target: String, minorVersion: UInt8 = 1, host: String? = nil,
                range: String? = nil, ifRange: String? = nil, ifModifiedSince: String? = nil,
                ifUnmodifiedSince: String? = nil, ifMatch: String? = nil, ifNoneMatch: String? = nil,
                keepAlive: Bool = true, contentLength: UInt64 = 0) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.host = host
        self.range = range
        self.ifRange = ifRange
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.keepAlive = keepAlive
        self.contentLength = contentLength
    }

    /// The request fields ``FileResponse`` decides on.
    public var conditions: FileResponse.Conditions {
        func field(_ value: String?) -> Substring? { value.map { Substring($0) } }
        var conditions = FileResponse.Conditions(isHead: method == .head)
        conditions.range = field(range)
        conditions.ifRange = field(ifRange)
        conditions.ifMatch = field(ifMatch)
        conditions.ifNoneMatch = field(ifNoneMatch)
        conditions.ifModifiedSince = field(ifModifiedSince)
        conditions.ifUnmodifiedSince = field(ifUnmodifiedSince)
        return conditions
    }
}

/// Why a request head was refused, with the status the server answers before it closes the
/// connection (the framing of what follows is unknown, RFC 9112 §6.3 and §11.2).
public enum RequestHeadError: Error, Equatable, Sendable {
    /// 400: a syntax error in the request line or a field line, or a field whose value breaks
    /// the message framing (see ``Reason``).
    case badRequest(Reason)
    /// 414: the request target is longer than the limit (or the request line never ends).
    case targetTooLong
    /// 431: the field lines together are longer than the limit.
    case headerTooLarge
    /// 505: a well-formed version other than HTTP/1.x.
    case versionNotSupported
    /// 501: a `Transfer-Encoding` on a request (RFC 9112 §6.1); we read no coded bodies.
    case transferEncodingNotImplemented

    /// What exactly was wrong (for the debug log and the tests).
    public enum Reason: String, Equatable, Sendable {
        case requestLine = "malformed request line"
        case method = "method is not a token"
        case target = "request target has a forbidden byte or is not UTF-8"
        case version = "malformed HTTP version"
        case blankLines = "too many empty lines before the request line"
        case fieldName = "field name is not a token or has whitespace before the colon"
        case missingColon = "field line without a colon"
        case obsoleteFolding = "obsolete line folding"
        case fieldValue = "field value has a control byte"
        case host = "HTTP/1.1 request without exactly one Host"
        case range = "more than one Range field"
        case contentLength = "invalid or conflicting Content-Length"
        case contentLengthWithTransferEncoding = "both Content-Length and Transfer-Encoding"
        case transferEncodingInHTTP10 = "Transfer-Encoding in an HTTP/1.0 request"
    }

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .targetTooLong: 414
        case .headerTooLarge: 431
        case .versionNotSupported: 505
        case .transferEncodingNotImplemented: 501
        }
    }
}
