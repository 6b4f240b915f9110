/// A strict one-pass JSON reader (RFC 8259) straight into ``JSONValue``, for request bodies.
///
/// `JSONDecoder` into `JSONValue`'s `Decodable` conformance parsed every body twice over (into
/// the decoder's own tree, then into `JSONValue` by trying each kind in turn and throwing for
/// each miss) — the largest cost of a client report in the bridge's profile (docs/bridge.md,
/// "Fuzzing and measurements"). This reads the bytes once. It accepts exactly RFC 8259 JSON:
/// one value with optional whitespace around it, UTF-8, no comments, no trailing commas, no
/// unescaped control characters, no lone surrogates, finite numbers; nesting deeper than
/// ``maxDepth`` is refused rather than recursed into. A key given twice keeps its first value, as
/// `JSONDecoder` did (so a report sent again digests the same).
struct JSONReader {
    static let maxDepth = 512

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Malformed: Error {}

    /// The one value of `bytes`; nil when they are not exactly one JSON value.
    static func parse<Bytes: Sequence>(_ bytes: Bytes) -> JSONValue? where Bytes.Element == UInt8 {
        var reader = JSONReader(Array(bytes))
        do {
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            return reader.index == reader.bytes.count ? value : nil
        } catch {
            return nil
        }
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(Malformed) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw Malformed() }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw Malformed() }
        index += count
        return value
    }

    private mutating func value(depth: Int) throws(Malformed) -> JSONValue {
        guard depth < Self.maxDepth, let byte = current else { throw Malformed() }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        default: return .number(try number())
        }
    }

    private mutating func object(depth: Int) throws(Malformed) -> JSONValue {
        index += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw Malformed() }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw Malformed() }
            index += 1
            skipWhitespace()
            let member = try value(depth: depth)
            if members[key] == nil { members[key] = member }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "}")?:
                index += 1
                return .object(members)
            default: throw Malformed()
            }
        }
    }

    private mutating func array(depth: Int) throws(Malformed) -> JSONValue {
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "]")?:
                index += 1
                return .array(elements)
            default: throw Malformed()
            }
        }
    }

    /// A string from its opening quote; the text between quotes must be valid UTF-8.
    private mutating func string() throws(Malformed) -> String {
        index += 1  // "
        let start = index
        // Fast path: no escapes, the bytes are the string.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw Malformed() }
            index += 1
        }
        guard let stop = current else { throw Malformed() }
        if stop == UInt8(ascii: "\"") {
            defer { index += 1 }
            guard let text = String(validating: bytes[start..<index], as: UTF8.self) else { throw Malformed() }
            return text
        }
        var buffer = Array(bytes[start..<index])
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: buffer, as: UTF8.self) else { throw Malformed() }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw Malformed() }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"): buffer.append(contentsOf: Array(try unicodeEscape().utf8))
                default: throw Malformed()
                }
            case 0..<0x20:
                throw Malformed()
            default:
                buffer.append(byte)
                index += 1
            }
        }
        throw Malformed()
    }

    /// After `\u`: four hex digits, and a low surrogate's `\uXXXX` after a high one.
    private mutating func unicodeEscape() throws(Malformed) -> String {
        let first = try hex4()
        var scalar = first
        if (0xD800...0xDBFF).contains(first) {
            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else { throw Malformed() }
            index += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw Malformed() }
            scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw Malformed() }  // a lone low surrogate
        return String(Character(unicode))
    }

    private mutating func hex4() throws(Malformed) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw Malformed() }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Malformed()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, finite as a Double.
    private mutating func number() throws(Malformed) -> Double {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let lead = current, isDigit(lead) else { throw Malformed() }
        index += 1
        if lead != UInt8(ascii: "0") { skipDigits() }
        if current == UInt8(ascii: ".") {
            index += 1
            guard let digit = current, isDigit(digit) else { throw Malformed() }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let digit = current, isDigit(digit) else { throw Malformed() }
            skipDigits()
        }
        // The grammar above admits only ASCII, so the text is valid; Double reads it exactly.
        guard let text = String(validating: bytes[start..<index], as: UTF8.self), let number = Double(text), number.isFinite else {
            throw Malformed()
        }
        return number
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { index += 1 }
    }
}
