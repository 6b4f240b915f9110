import LocatedYAML

/// `netboot ts plan`: what a sequence would do on one machine, before it touches a disk — the
/// instruction table made visible (engines §3.6), with the collections the machine falls in,
/// each resolved variable and its layer (secrets as `***`), the variables that will be
/// prompted (seed L5176-5178), and every condition evaluated where it can be.
public struct Plan: Sendable, Codable {
    public static let decidedAtRunTime = "decided at run time"

    public struct Variable: Sendable, Codable {
        public var name: String
        /// The value, `***` for secrets, nil when prompted.
        public var value: String?
        public var layer: String
        public var secret: Bool
        public var prompted: Bool
    }

    public struct Property: Sendable, Codable {
        public var name: String
        public var value: String
        /// The variable the property was taken from when not written.
        public var from: String?
    }

    public struct Step: Sendable, Codable {
        public var pointer: Int
        public var kind: String
        public var depth: Int
        public var id: String?
        public var name: String
        public var type: String?
        public var disabled: Bool
        public var continueOnError: Bool
        public var automatic: Bool
        /// "true", "false", "decided at run time", or nil without a condition.
        public var condition: String?
        /// "yes", "no" or "decided at run time".
        public var runs: String
        public var reason: String?
        public var properties: [Property]
        public var sets: [Variable]
    }

    public var sequence: String
    public var file: String
    public var machine: Inventory.Machine
    public var device: String?
    public var collections: [String]
    public var deployedTo: [String]
    public var variables: [Variable]
    public var prompted: [String]
    public var instructionCount: Int
    public var steps: [Step]
}

/// Builds a `Plan` from a read sequence, an inventory and a machine. Pure.
public enum Planner {
    public static func plan(_ definition: TaskSequenceDefinition, inventory: Inventory, machine: Inventory.Machine, sequenceKeys: [String] = []) -> Plan {
        let program = Program(definition)
        let environment = self.environment(definition, inventory: inventory, machine: machine)
        let collections = inventory.collections(for: machine).map(\.name)
        let keys = Set(([definition.name] + sequenceKeys).map { $0.lowercased() })
        let deployedTo = inventory.deployments.filter { collections.contains($0.collection) && keys.contains($0.sequence.lowercased()) }.map(\.collection)

        let initial = environment
        var walker = PlanWalker(program: program, environment: environment)
        let steps = walker.walk()

        var variables: [Plan.Variable] = []
        var prompted: [String] = []
        let referenced = Set(walker.referenced)
        for name in initial.names {
            switch initial.lookup(name) {
            case .unset: continue
            case .value(let value, let layer):
                variables.append(Plan.Variable(name: name.spelling, value: value.description, layer: layer.description, secret: value.isSecret, prompted: false))
            case .prompt(let secret, let layer):
                variables.append(Plan.Variable(name: name.spelling, value: nil, layer: layer.description, secret: secret, prompted: true))
                if layer == .taskSequence || referenced.contains(name) { prompted.append(name.spelling) }
            }
        }
        return Plan(sequence: definition.name, file: definition.file, machine: machine, device: inventory.device(for: machine)?.name,
                    collections: collections, deployedTo: deployedTo, variables: variables, prompted: prompted,
                    instructionCount: program.count, steps: steps)
    }
}

extension Planner {
    /// The variables a run starts with, lowest layer first: built-ins from the machine and
    /// the program, the inventory's collection and device layers, the sequence's own
    /// `variables:`; every name bound to a secret property marked secret. The plan and the
    /// runner both start from it.
    public static func environment(_ definition: TaskSequenceDefinition, inventory: Inventory, machine: Inventory.Machine) -> VariableEnvironment {
        let program = Program(definition)
        var environment = VariableEnvironment()
        environment.set(BuiltInVariable.macAddress.rawValue, machine.mac, layer: .builtIn)
        if let model = machine.model ?? inventory.device(for: machine)?.model { environment.set(BuiltInVariable.model.rawValue, model, layer: .builtIn) }
        if let serial = machine.serial ?? inventory.device(for: machine)?.serial { environment.set(BuiltInVariable.serial.rawValue, serial, layer: .builtIn) }
        environment.set(BuiltInVariable.platform.rawValue, machine.platform.rawValue, layer: .builtIn)
        environment.set(BuiltInVariable.sequenceName.rawValue, definition.name, layer: .builtIn)
        environment.set(BuiltInVariable.instructionTableSize.rawValue, String(program.count), layer: .builtIn)
        inventory.apply(to: &environment, machine: machine)
        for declaration in definition.variables { environment.set(declaration.name, declaration.value, layer: .taskSequence) }
        for name in StepCatalog.secretVariables { environment.markSecret(name) }
        for step in definition.allSteps {
            for declaration in step.variables where declaration.value.isSecret { environment.markSecret(declaration.name) }
        }
        return environment
    }
}

/// Walks the instruction table assuming every step succeeds, tracking which values are known.
struct PlanWalker {
    let program: Program
    var environment: VariableEnvironment
    /// Variables a step may have changed in a way the plan cannot know.
    var unknown: Set<VariableName> = []
    var referenced: [VariableName] = []

    init(program: Program, environment: VariableEnvironment) {
        self.program = program
        self.environment = environment
    }

    func known(_ name: VariableName) -> KnownValue {
        if let builtIn = BuiltInVariable.named(name) {
            // Run-time built-ins, and machine facts the plan was not told (no --model), are
            // only known when the sequence runs.
            if !builtIn.knownAtPlan { return .unknown }
            if case .unset = environment.lookup(name) { return .unknown }
        }
        if unknown.contains(name) { return .unknown }
        switch environment.lookup(name) {
        case .value(let value, _): return .value(value.reveal())
        case .prompt: return .existsUnknown
        case .unset: return .unset
        }
    }

    enum Runs { case yes, no, maybe }

    mutating func walk() -> [Plan.Step] {
        var out: [Plan.Step] = []
        var groupRuns: [Int: Runs] = [:]
        for (pointer, instruction) in program.instructions.enumerated() {
            if case .endGroup = instruction.kind { continue }
            let parentRuns = instruction.parent.flatMap { groupRuns[$0] } ?? .yes
            var conditionText: String?
            var runs = parentRuns
            var reason: String?
            if let condition = instruction.options.condition {
                referenced += condition.variables.map(\.0)
                let evaluator = ConditionEvaluator(lookup: { [self] name in known(name) })
                let truth = evaluator.evaluate(condition)
                conditionText = truth == .undecided ? Plan.decidedAtRunTime : truth.rawValue
                if truth == .false { runs = .no; reason = "condition is false" }
                else if truth == .undecided, runs == .yes { runs = .maybe }
            }
            if instruction.options.disabled { runs = .no; reason = "disabled" }
            if parentRuns == .no { runs = .no; reason = reason ?? "its group does not run" }
            if case .beginGroup = instruction.kind { groupRuns[pointer] = runs }

            var properties: [Plan.Property] = []
            var sets: [Plan.Variable] = []
            if let step = instruction.step {
                for spec in step.type.spec.properties {
                    guard let value = step.effectiveProperty(spec) else { continue }
                    let from = step.properties[spec.key] == nil ? spec.variable : nil
                    if let from {
                        // A property taken from its bound variable: say when that is unset or prompted.
                        referenced.append(VariableName(from))
                        switch known(VariableName(from)) {
                        case .unset:
                            if spec.defaultValue == nil { continue }
                        case .existsUnknown:
                            properties.append(Plan.Property(name: spec.key, value: "(prompted at run time)", from: from))
                            continue
                        default: break
                        }
                    }
                    properties.append(Plan.Property(name: spec.key, value: render(value, secret: spec.secret), from: from))
                }
                for declaration in step.variables {
                    let text: String?
                    switch declaration.value {
                    case .value(let value): text = value.isSecret || environment.isSecret(declaration.name) ? Secret.mask : render(.text(value.reveal()), secret: false)
                    case .prompt: text = nil
                    }
                    sets.append(Plan.Variable(name: declaration.name.spelling, value: text, layer: VariableLayer.taskSequence.description,
                                              secret: declaration.value.isSecret, prompted: text == nil))
                    switch runs {
                    case .yes:
                        environment.set(declaration.name, declaration.value, layer: .taskSequence)
                        unknown.remove(declaration.name)
                    case .maybe: unknown.insert(declaration.name)
                    case .no: break
                    }
                }
            }
            let runsText: String
            switch runs {
            case .yes: runsText = "yes"
            case .no: runsText = "no"
            case .maybe: runsText = Plan.decidedAtRunTime
            }
            let isGroup: Bool
            if case .beginGroup = instruction.kind { isGroup = true } else { isGroup = false }
            out.append(Plan.Step(pointer: pointer, kind: isGroup ? "group" : "step", depth: instruction.depth, id: instruction.options.id,
                                 name: instruction.options.name, type: instruction.step?.type.rawValue, disabled: instruction.options.disabled,
                                 continueOnError: instruction.options.continueOnError, automatic: instruction.step?.automatic ?? false,
                                 condition: conditionText, runs: runsText, reason: reason, properties: properties, sets: sets))
        }
        return out
    }

    /// A property value for display: `%VAR%` expanded where known; secrets (the property, or
    /// any variable it uses) as `***`.
    mutating func render(_ value: PropertyValue, secret: Bool) -> String {
        switch value {
        case .flag(let flag): return String(flag)
        case .list(let list): return "[" + list.map { render(.text($0), secret: secret) }.joined(separator: ", ") + "]"
        case .text(let text):
            let names = VariableReferences.names(in: text)
            referenced += names
            if secret || names.contains(where: environment.isSecret) { return Secret.mask }
            return VariableReferences.expand(text) { name in
                if case .value(let known) = known(name) { return known }
                return nil
            }
        }
    }
}
