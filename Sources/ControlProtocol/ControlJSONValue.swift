import JSONEscape
import Foundation

/// Any JSON value, as `JSONDecoder` read it: what the request decoder walks to give each
/// problem its own message (`unknown argument 'x'`, `'mac' must be a string`) instead of one
/// generic decoding error.
public indirect enum ControlJSONValue: Hashable, Sendable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ControlJSONValue])
    case object([String: ControlJSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ControlJSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ControlJSONValue].self))
        }
    }

    /// The JSON type's name, for messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value as an `Int` when it is a whole number that fits.
    public var integer: Int? {
        guard case .number(let value) = self, value.isFinite, value.rounded() == value,
              value >= -9.0e15, value <= 9.0e15 else { return nil }
        return Int(value)
    }

    /// `text` as a JSON string literal (RFC 8259 §7), through the one escaper (`JSONEscape`).
    public static func quoted(_ text: String) -> String {
        var out = ""
        JSONString.append(text, to: &out)
        return out
    }
}
