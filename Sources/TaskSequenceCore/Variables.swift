import Diagnostics

/// A task-sequence variable name. Names compare case-insensitively (seed L4889-4993; SCCM
/// `MS-UTV`: "variable names aren't case-sensitive") but keep the spelling they were written with.
public struct VariableName: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let spelling: String
    public let key: String

    public init(_ spelling: String) {
        self.spelling = spelling
        self.key = spelling.lowercased()
    }

    public var description: String { spelling }
    /// Read-only built-ins start with `_TS` (and, more generally, `_`).
    public var isReadOnly: Bool { spelling.hasPrefix("_") }

    public static func == (lhs: VariableName, rhs: VariableName) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
    public static func < (lhs: VariableName, rhs: VariableName) -> Bool { lhs.key < rhs.key }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(spelling)
    }

    /// A valid user name: a letter first, then letters, digits, `_` or `-` (SCCM `MS-UTV`), at
    /// most 256 characters. Built-ins (leading `_`) are valid too.
    public static func isValid(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 256 else { return false }
        guard first == "_" || (first.properties.isAlphabetic && first.isASCII) else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }
}

/// A value that must never be shown: its `description`, `debugDescription`, mirror and `Codable`
/// form are all `***`. Only `reveal()` gives the text, for the driver that needs it (seed L5046
/// "Secret value"; engines §0.9: incumbents leak secrets into logs).
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, Codable {
    public static let mask = "***"
    private let storage: String

    public init(_ value: String) { storage = value }

    public func reveal() -> String { storage }
    public var description: String { Secret.mask }
    public var debugDescription: String { Secret.mask }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Decodes from a plain string (a secret read from a file).
    public init(from decoder: any Decoder) throws {
        storage = try decoder.singleValueContainer().decode(String.self)
    }

    /// Always encodes as `***`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Secret.mask)
    }
}

/// A variable's value: plain text, or a secret printed as `***`.
public enum VariableValue: Hashable, Sendable, CustomStringConvertible, Codable {
    case plain(String)
    case secret(Secret)

    public init(_ text: String, secret: Bool) {
        self = secret ? .secret(Secret(text)) : .plain(text)
    }

    /// The text, for evaluation and drivers only — never for printing.
    public func reveal() -> String {
        switch self {
        case .plain(let text): return text
        case .secret(let secret): return secret.reveal()
        }
    }

    public var isSecret: Bool {
        if case .secret = self { return true }
        return false
    }

    /// What may be printed: the text, or `***`.
    public var description: String {
        switch self {
        case .plain(let text): return text
        case .secret: return Secret.mask
        }
    }

    public init(from decoder: any Decoder) throws {
        self = .plain(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Where a variable's value comes from, lowest precedence first: built-in < collection <
/// device < task sequence < set while running (seed L4900-4903, L5033-5034; SCCM `MS-UTV`).
public enum VariableLayer: Int, Comparable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case builtIn = 0
    case collection = 1
    case device = 2
    case taskSequence = 3
    case running = 4

    public static func < (lhs: VariableLayer, rhs: VariableLayer) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .builtIn: return "built-in"
        case .collection: return "collection"
        case .device: return "device"
        case .taskSequence: return "task sequence"
        case .running: return "set while running"
        }
    }
}

/// What one layer says about a variable: a value, or "declared with no value", which means the
/// user is prompted at run time (seed L4905-4909, L4971-4974) — not the same as unset.
public enum DeclaredValue: Hashable, Sendable {
    case value(VariableValue)
    case prompt(secret: Bool)

    public var isSecret: Bool {
        switch self {
        case .value(let value): return value.isSecret
        case .prompt(let secret): return secret
        }
    }
}

/// A variable declared in a file (sequence `variables:`, a Set Variables step, a collection or
/// a device), with where it was written.
public struct VariableDeclaration: Sendable {
    public var name: VariableName
    public var value: DeclaredValue
    public var description: String?
    public var location: SourceLocation

    public init(name: VariableName, value: DeclaredValue, description: String? = nil, location: SourceLocation) {
        self.name = name
        self.value = value
        self.description = description
        self.location = location
    }
}

/// The result of looking a variable up.
public enum VariableLookup: Hashable, Sendable {
    case unset
    case prompt(secret: Bool, layer: VariableLayer)
    case value(VariableValue, layer: VariableLayer)
}

/// Variables in layers; a lookup returns the highest layer that defines the name. Setting a
/// running value to the empty string deletes it (SCCM `MS-UTV`), which is why "prompt" is a
/// separate state and not an empty string.
public struct VariableEnvironment: Sendable {
    private var layers: [VariableLayer: [VariableName: DeclaredValue]] = [:]
    /// Names that some layer marked secret: a secret stays secret when a higher layer overrides it.
    private var secretNames: Set<VariableName> = []

    public init() {}

    public mutating func set(_ name: VariableName, _ value: DeclaredValue, layer: VariableLayer) {
        layers[layer, default: [:]][name] = value
        if value.isSecret { secretNames.insert(name) }
    }

    public mutating func set(_ name: String, _ text: String, layer: VariableLayer, secret: Bool = false) {
        set(VariableName(name), .value(VariableValue(text, secret: secret)), layer: layer)
    }

    /// Removes `name` from `layer` (SCCM: an empty value deletes the variable).
    public mutating func remove(_ name: VariableName, layer: VariableLayer) {
        layers[layer]?[name] = nil
    }

    public func isSecret(_ name: VariableName) -> Bool { secretNames.contains(name) }

    /// Marks `name` secret in every layer (e.g. a variable bound to a password property).
    public mutating func markSecret(_ name: VariableName) { secretNames.insert(name) }

    public func lookup(_ name: VariableName) -> VariableLookup {
        for layer in VariableLayer.allCases.reversed() {
            guard let declared = layers[layer]?[name] else { continue }
            switch declared {
            case .prompt(let secret):
                return .prompt(secret: secret || secretNames.contains(name), layer: layer)
            case .value(let value):
                if secretNames.contains(name), !value.isSecret {
                    return .value(.secret(Secret(value.reveal())), layer: layer)
                }
                return .value(value, layer: layer)
            }
        }
        return .unset
    }

    /// The value's text, if the variable has a value.
    public func text(_ name: VariableName) -> String? {
        if case .value(let value, _) = lookup(name) { return value.reveal() }
        return nil
    }

    /// Every name defined in any layer, sorted.
    public var names: [VariableName] {
        var all = Set<VariableName>()
        for (_, values) in layers { all.formUnion(values.keys) }
        return all.sorted()
    }
}
