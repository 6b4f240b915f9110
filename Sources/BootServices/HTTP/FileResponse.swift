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

    public var status: Int
    /// Response fields in order. `Content-Length` is always present except on a 304.
    public var headers: [(String, String)]
    public var body: Body
    /// Bytes the body will carry (what `Content-Length` says; 0 for HEAD's absent body).
    public var bodyLength: UInt64

    public static func == (lhs: FileResponse, rhs: FileResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.bodyLength == rhs.bodyLength
            && lhs.headers.map { $0.0 + ":" + $0.1 } == rhs.headers.map { $0.0 + ":" + $0.1 }
    }

    /// The value of the first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Decides the response.
    /// - Parameters:
    ///   - maxRanges: more ranges than this (after coalescing) and the Range field is ignored,
    ///     so the full file is sent (nginx's `max_ranges` behaviour).
    ///   - boundary: the multipart boundary, chosen by the caller (random per response).
    public init(attributes file: Attributes, conditions: Conditions, maxRanges: Int = 16, boundary: String) {
        let validators = [("ETag", file.etag.quoted),
                          ("Last-Modified", file.lastModified)]
        func plain(_ status: Int) -> (Int, [(String, String)], Body, UInt64) {
            (status, validators + [("Content-Length", "0")], .none, 0)
        }
        // §13.2.2 steps 1–2: If-Match, else If-Unmodified-Since → 412.
        if let ifMatch = conditions.ifMatch {
            let trimmed = ifMatch.trimmingOWS
            let matches = trimmed == "*" || trimmed.split(separator: ",").contains { file.etag.strongMatches($0) }
            if !matches { (status, headers, body, bodyLength) = plain(412); return }
        } else if let since = conditions.ifUnmodifiedSince.flatMap(HTTPDate.parse),
                  file.modificationSeconds > since {
            (status, headers, body, bodyLength) = plain(412)
            return
        }
        // Steps 3–4: If-None-Match, else If-Modified-Since → 304 (GET and HEAD only reach here).
        if let ifNoneMatch = conditions.ifNoneMatch {
            if file.etag.matchesAny(ifNoneMatch: ifNoneMatch) {
                (status, headers, body, bodyLength) = (304, validators, .none, 0)
                return
            }
        } else if let since = conditions.ifModifiedSince.flatMap(HTTPDate.parse),
                  file.modificationSeconds <= since {
            (status, headers, body, bodyLength) = (304, validators, .none, 0)
            return
        }
        let common = [("Content-Type", file.contentType), ("Accept-Ranges", "bytes")] + validators
        let whole: (Int, [(String, String)], Body, UInt64) = (
            200, common + [("Content-Length", String(file.size))],
            file.size == 0 || conditions.isHead ? .none : .file(0...(file.size - 1)), conditions.isHead ? 0 : file.size
        )
        // Step 5: Range, only for GET, only when If-Range (if any) still holds.
        guard !conditions.isHead, let rangeValue = conditions.range,
              Self.ifRangeHolds(conditions.ifRange, file: file),
              let request = ByteRangeRequest(rangeValue) else {
            (status, headers, body, bodyLength) = whole
            return
        }
        switch request.resolve(size: file.size) {
        case .unsatisfiable:
            (status, headers, body, bodyLength) = (
                416, [("Content-Range", "bytes */" + String(file.size)), ("Content-Length", "0")] + validators,
                .none, 0
            )
        case let .ranges(ranges) where ranges.count == 1:
            let range = ranges[0]
            (status, headers, body, bodyLength) = (
                206, common + [("Content-Range", Self.contentRange(range, size: file.size)),
                               ("Content-Length", String(Self.length(range)))],
                .file(range), Self.length(range)
            )
        case let .ranges(ranges) where ranges.count > maxRanges:
            (status, headers, body, bodyLength) = whole
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
            (status, headers, body, bodyLength) = (
                206, [("Content-Type", "multipart/byteranges; boundary=" + boundary), ("Accept-Ranges", "bytes")]
                    + validators + [("Content-Length", String(length))],
                .multipart(parts, trailer: trailer), length
            )
        }
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
