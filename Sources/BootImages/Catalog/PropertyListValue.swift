import Foundation

/// A property-list value with its type kept exact, decoded from XML, binary (`bplist00`) or
/// old-style text plists.
///
/// Apple's `nbimages.c` tells types apart with CoreFoundation (`isA_CFBoolean`, `isA_CFNumber`);
/// on Linux, Foundation bridges `1` and `true` both to `Bool` under `as?`, so this type decides
/// from the dynamic type instead: a `<true/>` is `.bool`, an `<integer>1</integer>` is `.integer`.
public indirect enum PropertyListValue: Hashable, Sendable {
    case string(String)
    case bool(Bool)
    case integer(Int64)
    /// An unsigned integer above `Int64.max` (binary plists can hold them).
    case unsignedInteger(UInt64)
    case real(Double)
    case date(Date)
    case data(Data)
    case array([PropertyListValue])
    case dictionary([String: PropertyListValue])

    /// The largest plist the catalog reads: an `NBImageInfo.plist` is a few kilobytes.
    public static let maximumSize = 1 << 20

    /// Why some bytes are not a property list.
    public enum DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
        case tooLarge(size: Int, limit: Int)
        case malformed(String)

        public var description: String {
            switch self {
            case let .tooLarge(size, limit): "plist is \(size) bytes, more than the \(limit)-byte limit"
            case let .malformed(detail): "not a property list (\(detail))"
            }
        }
    }

    /// Decodes `data` in any plist format Foundation knows (XML, binary, OpenStep text).
    ///
    /// Foundation's parser bounds nesting depth and detects reference cycles in binary plists;
    /// binary plists with sets or non-string keys, which Foundation traps on while bridging,
    /// are refused by ``BinaryPlistScreen`` first; oversized input is refused before parsing.
    public static func decode(_ data: Data) throws(DecodingError) -> PropertyListValue {
        guard data.count <= maximumSize else { throw .tooLarge(size: data.count, limit: maximumSize) }
        if let problem = BinaryPlistScreen.problem(Array(data)) { throw .malformed(problem) }
        let object: Any
        do {
            object = try PropertyListSerialization.propertyList(from: data, options: [], format: nil)
        } catch {
            throw .malformed(Self.shortReason(error))
        }
        guard let value = PropertyListValue(foundation: object) else {
            throw .malformed("unsupported value type")
        }
        return value
    }

    /// Converts a Foundation property-list object; nil for types a plist cannot hold.
    init?(foundation object: Any) {
        if type(of: object) == Bool.self, let flag = object as? Bool {
            self = .bool(flag)
        } else if let text = object as? String {
            self = .string(text)
        } else if let number = object as? NSNumber {
            self = Self.number(number)
        } else if let bytes = object as? Data {
            self = .data(bytes)
        } else if let date = object as? Date {
            self = .date(date)
        } else if let elements = object as? [Any] {
            var values: [PropertyListValue] = []
            values.reserveCapacity(elements.count)
            for element in elements {
                guard let value = PropertyListValue(foundation: element) else { return nil }
                values.append(value)
            }
            self = .array(values)
        } else if let entries = object as? [AnyHashable: Any] {
            var values: [String: PropertyListValue] = [:]
            for (key, element) in entries {
                guard let name = key.base as? String, let value = PropertyListValue(foundation: element) else {
                    return nil
                }
                values[name] = value
            }
            self = .dictionary(values)
        } else {
            return nil
        }
    }

    private static func number(_ number: NSNumber) -> PropertyListValue {
        let kind = String(cString: number.objCType)
        switch kind {
        case "c", "B":
            // CFBoolean surfaces as a char-typed NSNumber on some Foundation builds.
            return .bool(number.boolValue)
        case "f", "d":
            return .real(number.doubleValue)
        case "Q", "L", "I", "S", "C":
            let unsigned = number.uint64Value
            return unsigned > UInt64(Int64.max) ? .unsignedInteger(unsigned) : .integer(Int64(unsigned))
        default:
            return .integer(number.int64Value)
        }
    }

    private static func shortReason(_ error: Error) -> String {
        let ns = error as NSError
        if let debug = ns.userInfo["NSDebugDescription"] as? String { return debug }
        return ns.localizedDescription
    }

    /// The plist type name as Apple's tools print it (`String`, `Boolean`, `Integer`, …).
    public var typeName: String {
        switch self {
        case .string: "String"
        case .bool: "Boolean"
        case .integer, .unsignedInteger: "Integer"
        case .real: "Real"
        case .date: "Date"
        case .data: "Data"
        case .array: "Array"
        case .dictionary: "Dictionary"
        }
    }

    /// A short rendering for problem reports, never longer than about 60 characters.
    public var shortDescription: String {
        let text: String
        switch self {
        case let .string(value): text = "\"\(value)\""
        case let .bool(value): text = value ? "true" : "false"
        case let .integer(value): text = String(value)
        case let .unsignedInteger(value): text = String(value)
        case let .real(value): text = String(value)
        case let .date(value): text = value.description
        case let .data(value): text = "<\(value.count) bytes>"
        case let .array(value): text = "array of \(value.count)"
        case let .dictionary(value): text = "dictionary of \(value.count)"
        }
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
