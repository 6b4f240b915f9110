/// How a plain (unquoted) scalar is typed in every YAML file netboot reads — the configuration,
/// task sequences and the inventory: YAML 1.2's core schema (YAML 1.2.2 §10.3.2), one rule for
/// all readers. Quoted and block scalars are always strings.
///
/// - null: empty, `~`, `null`, `Null`, `NULL`
/// - bool: `true`, `True`, `TRUE`, `false`, `False`, `FALSE` — and nothing else: YAML 1.1's
///   `yes`/`no`/`on`/`off`/`y`/`n` are strings, and readers that expect a boolean say so
///   (``yaml11Note(for:)``)
/// - int: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+` (no `_` separators, no leading-zero octal)
/// - float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan` (any case
///   form the spec lists)
///
/// Pure and regex-free (the per-scalar regular expressions of Yams' resolver were most of the
/// parse time on big files).
public enum CoreSchema {
    /// A plain scalar's value under the core schema.
    public enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
    }

    public static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
    public static let trues: Set<String> = ["true", "True", "TRUE"]
    public static let falses: Set<String> = ["false", "False", "FALSE"]
    /// What error messages say a boolean may be written as.
    public static let booleanSpellings = "true or false"

    /// The words YAML 1.1 read as booleans; under the core schema they are strings.
    public static let yaml11Booleans: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF",
    ]

    /// Types the text of a plain scalar.
    public static func type(of text: String) -> Value {
        if nulls.contains(text) { return .null }
        if let flag = bool(text) { return .bool(flag) }
        guard let first = text.utf8.first,
              first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return .string(text) }
        if let value = int(text) { return .int(value) }
        if let value = float(text) { return .float(value) }
        return .string(text)
    }

    public static func isNull(_ text: String) -> Bool { nulls.contains(text) }

    /// `true`/`false` in the core schema's three spellings; nil for anything else.
    public static func bool(_ text: String) -> Bool? {
        if trues.contains(text) { return true }
        if falses.contains(text) { return false }
        return nil
    }

    /// A core-schema integer that fits `Int`; nil otherwise.
    public static func int(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "o") {
            let digits = bytes[2...]
            guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }) else { return nil }
            return Int(String(decoding: digits, as: UTF8.self), radix: 8)
        }
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") {
            let digits = bytes[2...]
            guard digits.allSatisfy(isHexDigit) else { return nil }
            return Int(String(decoding: digits, as: UTF8.self), radix: 16)
        }
        var body = bytes[...]
        if let sign = body.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { body = body.dropFirst() }
        guard !body.isEmpty, body.allSatisfy(isDigit) else { return nil }
        return Int(text)
    }

    /// A core-schema float (also a decimal integer too large for `Int`); nil otherwise.
    public static func float(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        var rest = Array(text.utf8)[...]
        if let sign = rest.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { rest = rest.dropFirst() }
        let whole = rest.prefix(while: isDigit)
        rest = rest.dropFirst(whole.count)
        var fraction: ArraySlice<UInt8> = []
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            fraction = rest.prefix(while: isDigit)
            rest = rest.dropFirst(fraction.count)
        }
        guard !whole.isEmpty || !fraction.isEmpty else { return nil }
        if let e = rest.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { rest = rest.dropFirst() }
            let exponent = rest.prefix(while: isDigit)
            guard !exponent.isEmpty else { return nil }
            rest = rest.dropFirst(exponent.count)
        }
        guard rest.isEmpty else { return nil }
        // `Double` does not take a trailing "." ("1."): the spec allows it.
        return Double(text.hasSuffix(".") ? text + "0" : text)
    }

    /// The note for a value written where a boolean belongs when it is a YAML 1.1 boolean
    /// (`yes` is a string under YAML 1.2): `"'yes' is a string in YAML 1.2 …; write true or false"`.
    /// Nil for any other value (the message's "true or false" already says what is accepted).
    public static func yaml11Note(for text: String?) -> String? {
        guard let text, yaml11Booleans.contains(text) else { return nil }
        return "'\(text)' is a string in YAML 1.2, the rule for every netboot file; write true or false"
    }

    /// `message`, followed by `; ` and ``yaml11Note(for:)`` when there is one.
    public static func booleanMessage(_ message: String, found text: String?) -> String {
        yaml11Note(for: text).map { "\(message); \($0)" } ?? message
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
