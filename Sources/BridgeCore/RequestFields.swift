import Foundation

/// Why a request body was refused (400). The message names the field and never echoes a value.
public struct RequestBodyError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String?
    public var problem: String

    public init(field: String?, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String {
        if let field { return "field '\(field)': \(problem)" }
        return problem
    }
}

/// Reads one JSON object field by field. Every getter names its field; ``finish()`` refuses
/// any field no getter asked for (unknown fields are a 400, not silently dropped).
public struct RequestFields {
    let path: String
    let object: [String: JSONValue]
    private var known: Set<String> = []

    /// The body as an object; anything else is refused.
    public static func object(_ bytes: Data) throws(RequestBodyError) -> RequestFields {
        guard let value = JSONValue.parse(bytes) else { throw RequestBodyError(field: nil, problem: "the body is not JSON") }
        return try RequestFields(value, path: "")
    }

    init(_ value: JSONValue, path: String) throws(RequestBodyError) {
        guard case let .object(object) = value else {
            throw RequestBodyError(field: path.isEmpty ? nil : path, problem: "expected an object, found \(value.kindName)")
        }
        self.path = path
        self.object = object
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func value(_ key: String) -> JSONValue? {
        known.insert(key)
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    public mutating func string(_ key: String, maxLength: Int = 255) throws(RequestBodyError) -> String? {
        guard let value = value(key) else { return nil }
        guard case let .string(text) = value else {
            throw RequestBodyError(field: name(key), problem: "expected a string, found \(value.kindName)")
        }
        guard text.utf8.count <= maxLength else {
            throw RequestBodyError(field: name(key), problem: "longer than \(maxLength) bytes")
        }
        // Short fields (names, versions) are shown in tables: no control characters. Long ones
        // (log text) may hold any.
        guard maxLength > 4096 || !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw RequestBodyError(field: name(key), problem: "contains control characters")
        }
        return text
    }

    public mutating func requiredString(_ key: String, maxLength: Int = 255) throws(RequestBodyError) -> String {
        guard let text = try string(key, maxLength: maxLength) else {
            throw RequestBodyError(field: name(key), problem: "missing")
        }
        return text
    }

    public mutating func integer(_ key: String, in range: ClosedRange<Int64>) throws(RequestBodyError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard case let .number(number) = value, number.rounded() == number,
              number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
            throw RequestBodyError(field: name(key), problem: "expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int64(number)
    }

    public mutating func requiredInteger(_ key: String, in range: ClosedRange<Int64>) throws(RequestBodyError) -> Int64 {
        guard let number = try integer(key, in: range) else { throw RequestBodyError(field: name(key), problem: "missing") }
        return number
    }

    /// One of `E`'s raw values.
    public mutating func word<E: RawRepresentable & CaseIterable>(_ key: String, as: E.Type) throws(RequestBodyError) -> E? where E.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let word = E(rawValue: text) else {
            throw RequestBodyError(field: name(key), problem: "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return word
    }

    /// A nested object.
    public mutating func object(_ key: String) throws(RequestBodyError) -> RequestFields? {
        guard let value = value(key) else { return nil }
        return try RequestFields(value, path: name(key))
    }

    /// The raw value of a field whose inside the caller checks itself.
    public mutating func raw(_ key: String) -> JSONValue? { value(key) }

    /// Refuses the first field (in sorted order) that no getter asked for.
    public func finish() throws(RequestBodyError) {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw RequestBodyError(field: name(unknown), problem: "unknown field")
        }
    }
}
