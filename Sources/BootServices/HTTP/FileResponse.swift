/// What a static-file GET or HEAD is answered with, decided without I/O: conditional requests
/// (RFC 9110 §13.2.2 order), then ranges (§14). The shell supplies the file's attributes and
/// the request fields, then writes what this returns.
public struct FileResponse: Equatable, Sendable {
    /// The file's validators and size, as the shell read them with `fstat`.
    public struct Attributes: Equatable, Sendable {
        public var size: UInt64
        /// Modification time, whole seconds since the epoch (Last-Modified has 1 s resolution).
        public var modificationSeconds: Int64
        public var etag: EntityTag
        public var contentType: String
        /// `modificationSeconds` as an HTTP-date (a caller may pass a cached one).
        public var lastModified: String

        public init(size: UInt64, modificationSeconds: Int64, etag: EntityTag, contentType: String,
                    lastModified: String? = nil) {
            self.size = size
            self.modificationSeconds = modificationSeconds
            self.etag = etag
            self.contentType = contentType
            self.lastModified = lastModified ?? HTTPDate.format(secondsSinceEpoch: modificationSeconds)
        }
    }

    /// The request fields that matter here (raw field values; nil when absent).
    public struct Conditions: Equatable, Sendable {
        public var isHead: Bool
        public var range: Substring?
        public var ifRange: Substring?
        public var ifMatch: Substring?
        public var ifNoneMatch: Substring?
        public var ifModifiedSince: Substring?
        public var ifUnmodifiedSince: Substring?

        public init(isHead: Bool = false, range: Substring? = nil, ifRange: Substring? = nil,
                    ifMatch: Substring? = nil, ifNoneMatch: Substring? = nil,
                    ifModifiedSince: Substring? = nil, ifUnmodifiedSince: Substring? = nil) {
            self.isHead = isHead
            self.range = range
            self.ifRange = ifRange
            self.ifMatch = ifMatch
            self.ifNoneMatch = ifNoneMatch
            self.ifModifiedSince = ifModifiedSince
            self.ifUnmodifiedSince = ifUnmodifiedSince
        }
    }

    /// One part of a `multipart/byteranges` body: its part header bytes, then the file range.
    public struct Part: Equatable, Sendable {
        public var header: String
        public var range: ClosedRange<UInt64>
    }

    /// What follows the head.
    public enum Body: Equatable, Sendable {
        /// Nothing (HEAD, 304, 412, 416).
        case none
        /// One contiguous file range (the whole file for a 200).
        case file(ClosedRange<UInt64>)
        /// `multipart/byteranges`: parts in order, then the closing delimiter.
        case multipart([Part], trailer: String)
    }

    /// `Content-Range` (RFC 9110 §14.4): a satisfied range of a `size`-byte file, or `*/size`.
    public enum ContentRange: Equatable, Sendable {
        case satisfied(ClosedRange<UInt64>, size: UInt64)
        case unsatisfied(size: UInt64)

        public var value: String {
            switch self {
            case let .satisfied(range, size): FileResponse.contentRange(range, size: size)
            case let .unsatisfied(size): "bytes */" + String(size)
            }
        }
    }

    public var status: Int
    /// `Content-Type`: the file's, or `multipart/byteranges; boundary=…`; nil on 304, 412, 416.
    public var contentType: String?
    /// `Accept-Ranges: bytes` is sent (200 and 206).
    public var acceptsRanges: Bool
    /// The validators, sent on every answer (`ETag`, `Last-Modified`).
    public var etag: EntityTag
    public var lastModified: String
    public var contentRange: ContentRange?
    /// `Content-Length`; nil on a 304 (which describes the selected representation, §15.4.5).
    public var contentLength: UInt64?
    public var body: Body
    /// Bytes the body will carry (what `Content-Length` says; 0 for HEAD's absent body).
    public var bodyLength: UInt64

    /// The response fields as (name, value) pairs, in the order a shell writes them:
    /// Content-Type, Accept-Ranges, ETag, Last-Modified, Content-Range, Content-Length.
    public var headers: [(String, String)] {
        var fields: [(String, String)] = []
        if let contentType { fields.append(("Content-Type", contentType)) }
        if acceptsRanges { fields.append(("Accept-Ranges", "bytes")) }
        fields.append(("ETag", etag.quoted))
        fields.append(("Last-Modified", lastModified))
        if let contentRange { fields.append(("Content-Range", contentRange.value)) }
        if let contentLength { fields.append(("Content-Length", String(contentLength))) }
        return fields
    }

    public static func == (lhs: FileResponse, rhs: FileResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.bodyLength == rhs.bodyLength
            && lhs.headers.map { $0.0 + ":" + $0.1 } == rhs.headers.map { $0.0 + ":" + $0.1 }
    }

    /// The value of the first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    private init(status: Int, file: Attributes, contentType: String? = nil, acceptsRanges: Bool = false,
                 contentRange: ContentRange? = nil, contentLength: UInt64?, body: Body = .none, bodyLength: UInt64 = 0) {
        self.status = status
        self.contentType = contentType
        self.acceptsRanges = acceptsRanges
        etag = file.etag
        lastModified = file.lastModified
        self.contentRange = contentRange
        self.contentLength = contentLength
        self.body = body
        self.bodyLength = bodyLength
    }

    /// Decides the response.
    /// - Parameters:
    ///   - maxRanges: more ranges than this (after coalescing) and the Range field is ignored,
    ///     so the full file is sent (nginx's `max_ranges` behaviour).
    ///   - boundary: the multipart boundary, chosen by the caller (random per response).
    public init(attributes file: Attributes, conditions: Conditions, maxRanges: Int = 16, boundary: String) {
        // §13.2.2 steps 1–2: If-Match, else If-Unmodified-Since → 412.
        if let ifMatch = conditions.ifMatch {
            let trimmed = ifMatch.trimmingOWS
            let matches = trimmed == "*" || trimmed.split(separator: ",").contains { file.etag.strongMatches($0) }
            if !matches { self.init(status: 412, file: file, contentLength: 0); return }
        } else if let since = conditions.ifUnmodifiedSince.flatMap(HTTPDate.parse),
                  file.modificationSeconds > since {
            self.init(status: 412, file: file, contentLength: 0)
            return
        }
        // Steps 3–4: If-None-Match, else If-Modified-Since → 304 (GET and HEAD only reach here).
        if let ifNoneMatch = conditions.ifNoneMatch {
            if file.etag.matchesAny(ifNoneMatch: ifNoneMatch) {
                self.init(status: 304, file: file, contentLength: nil)
                return
            }
        } else if let since = conditions.ifModifiedSince.flatMap(HTTPDate.parse),
                  file.modificationSeconds <= since {
            self.init(status: 304, file: file, contentLength: nil)
            return
        }
        // Step 5: Range, only for GET, only when If-Range (if any) still holds.
        guard !conditions.isHead, let rangeValue = conditions.range,
              Self.ifRangeHolds(conditions.ifRange, file: file),
              let request = ByteRangeRequest(rangeValue) else {
            self.init(whole: file, isHead: conditions.isHead)
            return
        }
        switch request.resolve(size: file.size) {
        case .unsatisfiable:
            self.init(status: 416, file: file, contentRange: .unsatisfied(size: file.size), contentLength: 0)
        case let .ranges(ranges) where ranges.count == 1:
            let range = ranges[0]
            self.init(status: 206, file: file, contentType: file.contentType, acceptsRanges: true,
                      contentRange: .satisfied(range, size: file.size), contentLength: Self.length(range),
                      body: .file(range), bodyLength: Self.length(range))
        case let .ranges(ranges) where ranges.count > maxRanges:
            self.init(whole: file, isHead: false)
        case let .ranges(ranges):
            var parts: [Part] = []
            var length: UInt64 = 0
            for (index, range) in ranges.enumerated() {
                let header = (index == 0 ? "" : "\r\n") + "--" + boundary + "\r\nContent-Type: " + file.contentType
                    + "\r\nContent-Range: " + Self.contentRange(range, size: file.size) + "\r\n\r\n"
                parts.append(Part(header: header, range: range))
                length += UInt64(header.utf8.count) + Self.length(range)
            }
            let trailer = "\r\n--" + boundary + "--\r\n"
            length += UInt64(trailer.utf8.count)
            self.init(status: 206, file: file, contentType: "multipart/byteranges; boundary=" + boundary,
                      acceptsRanges: true, contentLength: length, body: .multipart(parts, trailer: trailer),
                      bodyLength: length)
        }
    }

    /// 200 with the whole file (no body for HEAD or an empty file).
    private init(whole file: Attributes, isHead: Bool) {
        self.init(status: 200, file: file, contentType: file.contentType, acceptsRanges: true,
                  contentLength: file.size, body: file.size == 0 || isHead ? .none : .file(0...(file.size - 1)),
                  bodyLength: isHead ? 0 : file.size)
    }

    /// §13.1.5: an entity tag compares strongly; a date must equal Last-Modified exactly.
    static func ifRangeHolds(_ value: Substring?, file: Attributes) -> Bool {
        guard let value = value?.trimmingOWS else { return true }
        if value.first == "\"" || value.hasPrefix("W/") { return file.etag.strongMatches(value) }
        guard let date = HTTPDate.parse(value) else { return false }
        return date == file.modificationSeconds
    }

    /// Bytes in a range (`ClosedRange<UInt64>.count` is an `Int` and would trap past 2⁶³).
    public static func length(_ range: ClosedRange<UInt64>) -> UInt64 { range.upperBound - range.lowerBound + 1 }

    static func contentRange(_ range: ClosedRange<UInt64>, size: UInt64) -> String {
        "bytes " + String(range.lowerBound) + "-" + String(range.upperBound) + "/" + String(size)
    }
}
