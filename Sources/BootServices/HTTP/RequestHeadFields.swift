extension RequestHeadParser {
    /// The field lines of one head as they are read (RFC 9112 §5): syntax is checked for every
    /// line, and only the fields an image server acts on are kept.
    struct Fields {
        var host: String?
        var hostCount = 0
        var range: String?
        var rangeCount = 0
        var ifRange: String?
        var ifModifiedSince: String?
        var ifUnmodifiedSince: String?
        var ifMatch: String?
        var ifNoneMatch: String?
        var connectionClose = false
        var connectionKeepAlive = false
        var contentLength: UInt64?
        var contentLengthInvalid = false
        var transferEncoding = false

        /// Reads the field line `[start, stop)` (line end already removed); nil when it is valid.
        mutating func parseLine(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ stop: Int) -> RequestHeadError? {
            if bytes[start] == sp || bytes[start] == tab { return .badRequest(.obsoleteFolding) }
            var index = start
            while index < stop, isTokenByte(bytes[index]) { index += 1 }
            guard index < stop else { return .badRequest(.missingColon) }
            guard index > start, bytes[index] == UInt8(ascii: ":") else { return .badRequest(.fieldName) }
            let nameCount = index - start
            var valueStart = index + 1
            var valueStop = stop
            while valueStart < valueStop, bytes[valueStart] == sp || bytes[valueStart] == tab { valueStart += 1 }
            while valueStop > valueStart, bytes[valueStop - 1] == sp || bytes[valueStop - 1] == tab { valueStop -= 1 }
            // field-vchar / obs-text / SP / HTAB (§5.5): no NUL, CR, LF or other controls.
            for offset in valueStart..<valueStop {
                let byte = bytes[offset]
                if (byte < sp && byte != tab) || byte == 0x7F { return .badRequest(.fieldValue) }
            }
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueStop])
            func text() -> String { String(decoding: value, as: UTF8.self) }
            func named(_ name: StaticString) -> Bool { equalsLowercased(bytes, start, nameCount, name) }

            switch nameCount {
            case 4 where named("host"):
                hostCount += 1
                if host == nil { host = text() }
            case 5 where named("range"):
                rangeCount += 1
                if range == nil { range = text() }
            case 8 where named("if-range"):
                if ifRange == nil { ifRange = text() }
            case 8 where named("if-match"):
                ifMatch = Self.joined(ifMatch, text())
            case 10 where named("connection"):
                readConnection(value)
            case 13 where named("if-none-match"):
                ifNoneMatch = Self.joined(ifNoneMatch, text())
            case 14 where named("content-length"):
                guard let length = Self.decimal(value), contentLength == nil || contentLength == length else {
                    contentLengthInvalid = true
                    return nil  // decided in `apply`, after Transfer-Encoding is known
                }
                contentLength = length
            case 17 where named("if-modified-since"):
                if ifModifiedSince == nil { ifModifiedSince = text() }
            case 17 where named("transfer-encoding"):
                transferEncoding = true
            case 19 where named("if-unmodified-since"):
                if ifUnmodifiedSince == nil { ifUnmodifiedSince = text() }
            default:
                break
            }
            return nil
        }

        /// Framing and Host rules (RFC 9112 §6.3, §3.2), then the typed fields into `head`.
        func apply(to head: inout RequestHead) -> RequestHeadError? {
            if transferEncoding {
                if contentLength != nil || contentLengthInvalid {
                    return .badRequest(.contentLengthWithTransferEncoding)
                }
                return head.minorVersion == 0 ? .badRequest(.transferEncodingInHTTP10) : .transferEncodingNotImplemented
            }
            if contentLengthInvalid { return .badRequest(.contentLength) }
            if head.minorVersion == 1, hostCount != 1 { return .badRequest(.host) }
            // Range is a singleton field (RFC 9110 §14.2), not a list: two are an error, as nginx answers.
            if rangeCount > 1 { return .badRequest(.range) }
            head.host = host
            head.range = range
            head.ifRange = ifRange
            head.ifModifiedSince = ifModifiedSince
            head.ifUnmodifiedSince = ifUnmodifiedSince
            head.ifMatch = ifMatch
            head.ifNoneMatch = ifNoneMatch
            head.contentLength = contentLength ?? 0
            head.keepAlive = !connectionClose && (head.minorVersion == 1 || connectionKeepAlive)
            return nil
        }

        /// `Connection` options (RFC 9110 §7.6.1): a comma list of tokens, case-insensitive.
        private mutating func readConnection(_ value: UnsafeRawBufferPointer) {
            var index = 0
            while index < value.count {
                while index < value.count, value[index] == sp || value[index] == tab || value[index] == UInt8(ascii: ",") {
                    index += 1
                }
                let start = index
                while index < value.count, value[index] != UInt8(ascii: ",") { index += 1 }
                var stop = index
                while stop > start, value[stop - 1] == sp || value[stop - 1] == tab { stop -= 1 }
                if stop - start == 5, equalsLowercased(value, start, 5, "close") { connectionClose = true }
                if stop - start == 10, equalsLowercased(value, start, 10, "keep-alive") { connectionKeepAlive = true }
            }
        }

        /// A list field's lines joined with `, ` (RFC 9110 §5.3); empty lines add nothing.
        private static func joined(_ earlier: String?, _ value: String) -> String {
            guard let earlier, !earlier.isEmpty else { return value }
            return value.isEmpty ? earlier : earlier + ", " + value
        }

        /// `1*DIGIT` as a UInt64; nil when empty, not all digits, or too large.
        private static func decimal(_ value: UnsafeRawBufferPointer) -> UInt64? {
            guard !value.isEmpty else { return nil }
            var number: UInt64 = 0
            for byte in value {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                let (times10, o1) = number.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                number = sum
            }
            return number
        }
    }

    /// `count` bytes at `index` equal the lowercase ASCII `name`, ignoring case. `name` holds
    /// only lowercase letters and `-`; OR-ing 0x20 folds A–Z onto a–z and maps no other token
    /// byte onto a letter or `-`.
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ index: Int, _ count: Int,
                                 _ name: StaticString) -> Bool {
        guard count == name.utf8CodeUnitCount, index + count <= bytes.count else { return false }
        let expected = name.utf8Start
        for offset in 0..<count where bytes[index + offset] | 0x20 != expected[offset] { return false }
        return true
    }
}
