import Diagnostics

/// A validated task sequence (seed C10: name, description, steps; C16-C17: variables, groups).
/// The automatic last step (install and enroll the client, seed L5214-5215) is already appended.
public struct TaskSequenceDefinition: Sendable {
    public var file: String
    public var name: String
    public var description: String?
    /// Sequence-level variables: the task-sequence layer before the first step.
    public var variables: [VariableDeclaration]
    public var items: [SequenceItem]

    public init(file: String, name: String, description: String?, variables: [VariableDeclaration], items: [SequenceItem]) {
        self.file = file
        self.name = name
        self.description = description
        self.variables = variables
        self.items = items
    }

    /// Every step, depth first, in run order.
    public var allSteps: [Step] {
        var out: [Step] = []
        func walk(_ items: [SequenceItem]) {
            for item in items {
                switch item {
                case .step(let step): out.append(step)
                case .group(let group): walk(group.items)
                }
            }
        }
        walk(items)
        return out
    }
}

/// A step or a group, in order (seed L4859-4887: groups hold "a mixture of subgroups and
/// individual task sequence steps").
public indirect enum SequenceItem: Sendable {
    case step(Step)
    case group(Group)

    public var options: ItemOptions {
        switch self {
        case .step(let step): return step.options
        case .group(let group): return group.options
        }
    }
}

/// What every step and group has: the Options tab (seed L4872-4887) plus an id.
public struct ItemOptions: Sendable {
    public var id: String?
    public var name: String
    public var description: String?
    public var disabled: Bool
    public var continueOnError: Bool
    public var condition: Condition?
    public var location: SourceLocation

    public init(id: String? = nil, name: String, description: String? = nil, disabled: Bool = false,
                continueOnError: Bool = false, condition: Condition? = nil, location: SourceLocation) {
        self.id = id
        self.name = name
        self.description = description
        self.disabled = disabled
        self.continueOnError = continueOnError
        self.condition = condition
        self.location = location
    }
}

/// A group of steps with its own options.
public struct Group: Sendable {
    public var options: ItemOptions
    public var items: [SequenceItem]

    public init(options: ItemOptions, items: [SequenceItem]) {
        self.options = options
        self.items = items
    }
}

/// A property value as written (text may hold `%VAR%` references).
public enum PropertyValue: Sendable, Equatable {
    case text(String)
    case flag(Bool)
    case list([String])

    /// Every string inside, for reference scanning.
    public var strings: [String] {
        switch self {
        case .text(let text): return [text]
        case .flag: return []
        case .list(let list): return list
        }
    }
}

/// A written property and where.
public struct WrittenProperty: Sendable {
    public var value: PropertyValue
    public var location: SourceLocation

    public init(value: PropertyValue, location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// Retry policy of a command-like step: rerun up to `count` times, `delay` seconds apart.
public struct RetryPolicy: Sendable, Equatable, Codable {
    public var count: Int
    public var delaySeconds: Int

    public init(count: Int, delaySeconds: Int = 0) {
        self.count = count
        self.delaySeconds = delaySeconds
    }
}

/// One step: its type, written properties and options.
public struct Step: Sendable {
    public var type: StepType
    public var options: ItemOptions
    public var properties: [String: WrittenProperty]
    /// For Set Variables: the variables it sets.
    public var variables: [VariableDeclaration]
    /// Exit codes that count as success (command-like steps; default `[0, 3010]`).
    public var successCodes: [Int32]
    public var timeoutSeconds: Int?
    public var retry: RetryPolicy
    /// Added by the compiler, not written by the author.
    public var automatic: Bool

    public init(type: StepType, options: ItemOptions, properties: [String: WrittenProperty] = [:],
                variables: [VariableDeclaration] = [], successCodes: [Int32] = StepCatalog.defaultSuccessCodes,
                timeoutSeconds: Int? = nil, retry: RetryPolicy = RetryPolicy(count: 0), automatic: Bool = false) {
        self.type = type
        self.options = options
        self.properties = properties
        self.variables = variables
        self.successCodes = successCodes
        self.timeoutSeconds = timeoutSeconds
        self.retry = retry
        self.automatic = automatic
    }

    /// The value a property has before variables are expanded: as written, else `%Variable%`
    /// for a bound property, else its default.
    public func effectiveProperty(_ spec: PropertySpec) -> PropertyValue? {
        if let written = properties[spec.key] { return written.value }
        if let variable = spec.variable {
            switch spec.kind {
            case .bool, .string: return .text("%\(variable)%")
            case .stringList: return .list(["%\(variable)%"])
            }
        }
        guard let fallback = spec.defaultValue else { return nil }
        return spec.kind == .bool ? .flag(fallback == "true") : .text(fallback)
    }
}

/// Read-only built-in variables (`_TS…`), set by the engine (engines §1.3 `_SMSTS*`).
public enum BuiltInVariable: String, CaseIterable, Sendable {
    case macAddress = "_TSMACAddress"
    case model = "_TSModel"
    case serial = "_TSSerial"
    case platform = "_TSPlatform"
    case sequenceName = "_TSSequenceName"
    case instructionTableSize = "_TSInstructionTableSize"
    case lastActionSucceeded = "_TSLastActionSucceeded"
    case lastActionRetCode = "_TSLastActionRetCode"
    case lastActionName = "_TSLastActionName"
    case currentActionName = "_TSCurrentActionName"
    case instructionPointer = "_TSInstructionPointer"

    public var name: VariableName { VariableName(rawValue) }

    /// Known before the run starts (from the machine and the sequence); the others change as
    /// the run goes.
    public var knownAtPlan: Bool {
        switch self {
        case .macAddress, .model, .serial, .platform, .sequenceName, .instructionTableSize: return true
        default: return false
        }
    }

    public static func named(_ name: VariableName) -> BuiltInVariable? {
        allCases.first { $0.name == name }
    }
}
