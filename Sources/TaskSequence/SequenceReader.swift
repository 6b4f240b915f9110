import LocatedYAML

/// Documented limits of the format (docs/task-sequences.md "Limits").
public enum SequenceLimits {
    /// Deepest group nesting (a group inside a group inside … ).
    public static let maxGroupDepth = 16
    /// Most steps (not counting groups) in one sequence.
    public static let maxSteps = 5_000
    /// Deepest If-statement nesting in one condition.
    public static let maxConditionDepth = 16
    /// Longest name (SCCM's editor caps names at 50; the SDK at 100).
    public static let maxNameLength = 100
}

/// Builds a `TaskSequenceDefinition` from the located syntax tree, reporting every problem
/// (unknown keys with did-you-mean, wrong types, unknown step types, limits) without stopping.
public struct SequenceReader {
    public static let topKeys = ["name", "description", "variables", "steps"]

    let file: String
    var sink = DiagnosticSink()
    var stepCount = 0
    var reportedTooMany = false

    public init(file: String) { self.file = file }

    /// Reads `root`; returns the model (possibly partial) and the diagnostics.
    public static func read(_ root: SyntaxNode?, file: String) -> (TaskSequenceDefinition?, [Diagnostic]) {
        var reader = SequenceReader(file: file)
        let definition = reader.readRoot(root)
        return (definition, reader.sink.items)
    }

    mutating func readRoot(_ root: SyntaxNode?) -> TaskSequenceDefinition? {
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let root else {
            sink.error(start, "the file is empty; a task sequence needs 'name' and 'steps'", rule: "missing-key")
            return nil
        }
        guard let top = MappingReader(root, what: "task sequence", sink: &sink) else { return nil }
        top.checkKeys(SequenceReader.topKeys, sink: &sink)
        let name = top.string("name", sink: &sink)
        if name == nil, top["name"] == nil {
            sink.error(root.location, "task sequence has no 'name'", rule: "missing-key")
        }
        let variables = top["variables"].map { VariableBlockReader.read($0.value, what: "variables", sink: &sink) } ?? []
        var items: [SequenceItem] = []
        if let steps = top["steps"] {
            items = readItems(steps.value, depth: 0)
        } else {
            sink.error(root.location, "task sequence has no 'steps'", rule: "missing-key")
        }
        let finalStep = Step(type: .installClient,
                             options: ItemOptions(id: "installClient", name: "Install and enroll the client", location: root.location),
                             automatic: true)
        items.append(.step(finalStep))
        return TaskSequenceDefinition(file: file, name: name?.0 ?? "", description: top.string("description", sink: &sink)?.0,
                                      variables: variables, items: items)
    }

    mutating func readItems(_ node: SyntaxNode, depth: Int) -> [SequenceItem] {
        if node.isNull { return [] }
        guard let list = node.items else {
            sink.error(node.location, "'steps' must be a list of steps and groups, not \(node.typeWithArticle)", rule: "wrong-type")
            return []
        }
        var out: [SequenceItem] = []
        for item in list {
            if let read = readItem(item, depth: depth) { out.append(read) }
        }
        return out
    }

    mutating func readItem(_ node: SyntaxNode, depth: Int) -> SequenceItem? {
        guard let map = MappingReader(node, what: "step", sink: &sink) else { return nil }
        guard let typeEntry = map["type"] else {
            sink.error(node.location, "step has no 'type'; expected one of \(StepCatalog.authorable.map(\.rawValue).joined(separator: ", ")) or 'group'", rule: "missing-key")
            checkUntypedStep(map)
            return nil
        }
        guard let (typeName, typeLocation) = MappingReader.string(typeEntry.value, key: "type", sink: &sink) else {
            checkUntypedStep(map)
            return nil
        }
        if typeName == "group" {
            return readGroup(map, depth: depth).map(SequenceItem.group)
        }
        guard let type = StepCatalog.type(named: typeName) else {
            var message = "unknown step type '\(typeName)'"
            if let guess = StepCatalog.suggestion(for: typeName) { message += "; did you mean '\(guess)'?" }
            else { message += "; expected one of \(StepCatalog.authorable.map(\.rawValue).joined(separator: ", ")) or 'group'" }
            sink.error(typeLocation, message, rule: "unknown-step-type")
            checkUntypedStep(map)
            return nil
        }
        if type == .installClient {
            sink.error(typeLocation, "'installClient' is added automatically as the last step; remove it", rule: "automatic-step")
            checkUntypedStep(map)
            return nil
        }
        stepCount += 1
        if stepCount > SequenceLimits.maxSteps {
            if !reportedTooMany {
                reportedTooMany = true
                sink.error(node.location, "more than \(SequenceLimits.maxSteps) steps; split the sequence", rule: "too-many-steps")
            }
            return nil
        }
        return .step(readStep(map, type: type))
    }

    /// A step whose type is missing, unknown or not authorable still gets every check that does
    /// not depend on its type, so one wrong `type:` does not hide the step's other errors: keys
    /// that no step type or group has (a misspelt `nmae:`), and the common keys' values
    /// (`name`, `id`, `disabled`, `condition`, …). The step itself is dropped.
    mutating func checkUntypedStep(_ map: MappingReader) {
        map.checkKeys(StepCatalog.anyStepKeys, sink: &sink)
        _ = readOptions(map, defaultName: "")
    }

    mutating func readOptions(_ map: MappingReader, defaultName: String) -> ItemOptions {
        var options = ItemOptions(name: defaultName, location: map.node.location)
        if let (id, location) = map.string("id", sink: &sink) {
            if VariableName.isValid(id), !id.hasPrefix("_") { options.id = id } else {
                sink.error(location, "step id '\(id)' must start with a letter and hold only letters, digits, '_' or '-'", rule: "invalid-id")
            }
        }
        if let (name, location) = map.string("name", sink: &sink) {
            if name.count > SequenceLimits.maxNameLength {
                sink.error(location, "name is \(name.count) characters; the limit is \(SequenceLimits.maxNameLength)", rule: "name-too-long")
            }
            options.name = name
        }
        options.description = map.string("description", sink: &sink)?.0
        options.disabled = map.bool("disabled", sink: &sink) ?? false
        options.continueOnError = map.bool("continueOnError", sink: &sink) ?? false
        if let entry = map["condition"] {
            options.condition = ConditionReader.read(entry.value, sink: &sink)
        }
        return options
    }

    mutating func readGroup(_ step: MappingReader, depth: Int) -> Group? {
        var map = step
        map.what = "group"
        map.checkKeys(StepCatalog.commonKeys + ["steps"], sink: &sink)
        let options = readOptions(map, defaultName: "Group")
        if depth + 1 > SequenceLimits.maxGroupDepth {
            sink.error(map.node.location, "groups are nested more than \(SequenceLimits.maxGroupDepth) deep", rule: "nesting-too-deep")
            return nil
        }
        let items = map["steps"].map { readItems($0.value, depth: depth + 1) } ?? []
        return Group(options: options, items: items)
    }

    mutating func readStep(_ map: MappingReader, type: StepType) -> Step {
        let spec = type.spec
        let allowed = StepCatalog.keys(for: type)
        map.checkKeys(allowed, sink: &sink) { key in
            if StepCatalog.commandKeys.contains(key) {
                return "'\(key)' applies to command-like steps (installSoftware, runScript) only"
            }
            if key == "enabled" { return "use 'disabled: true' to disable a step" }
            if key == "steps" { return "only groups have 'steps' (type: group)" }
            return nil
        }
        var step = Step(type: type, options: readOptions(map, defaultName: spec.label))
        for property in spec.properties {
            guard let entry = map[property.key] else { continue }
            switch property.kind {
            case .string:
                if let (text, location) = MappingReader.string(entry.value, key: property.key, sink: &sink) {
                    step.properties[property.key] = WrittenProperty(value: .text(text), location: location)
                }
            case .bool:
                switch entry.value.kind {
                case .scalar(.bool(let flag), _):
                    step.properties[property.key] = WrittenProperty(value: .flag(flag), location: entry.value.location)
                case .scalar(.string(let text), _) where !VariableReferences.names(in: text).isEmpty:
                    step.properties[property.key] = WrittenProperty(value: .text(text), location: entry.value.location)
                default:
                    sink.error(entry.value.location, CoreSchema.booleanMessage("'\(property.key)' must be true, false or a %VARIABLE% reference, not \(entry.value.typeWithArticle)", found: entry.value.scalarText), rule: "wrong-type")
                }
            case .stringList:
                if let list = map.stringList(property.key, sink: &sink) {
                    step.properties[property.key] = WrittenProperty(value: .list(list), location: entry.value.location)
                }
            }
        }
        if type == .setVariables {
            if let entry = map["variables"] {
                step.variables = VariableBlockReader.read(entry.value, what: "variables", sink: &sink)
                if step.variables.isEmpty, entry.value.entries?.isEmpty ?? true {
                    sink.warning(entry.value.location, "this Set Variables step sets no variables", rule: "empty-set-variables")
                }
            } else {
                sink.error(map.node.location, "setVariables step has no 'variables'", rule: "missing-key")
            }
        }
        if spec.commandLike { readCommandOptions(map, into: &step) }
        return step
    }

    mutating func readCommandOptions(_ map: MappingReader, into step: inout Step) {
        if let entry = map["successCodes"] {
            if let list = entry.value.items {
                var codes: [Int32] = []
                for item in list {
                    if case .scalar(.int(let code), _) = item.kind, let code32 = Int32(exactly: code) { codes.append(code32) }
                    else { sink.error(item.location, "success codes must be integers (exit codes)", rule: "wrong-type") }
                }
                if list.isEmpty { sink.error(entry.value.location, "'successCodes' is empty: the step could never succeed", rule: "empty-success-codes") }
                step.successCodes = codes
            } else {
                sink.error(entry.value.location, "'successCodes' must be a list of integers, not \(entry.value.typeWithArticle)", rule: "wrong-type")
            }
        }
        if let entry = map["timeout"] {
            if let seconds = DurationText.seconds(entry.value), seconds > 0 { step.timeoutSeconds = seconds }
            else { sink.error(entry.value.location, "'timeout' must be a positive number of seconds or a duration like 90s, 10m, 1h", rule: "wrong-type") }
        }
        if let entry = map["retry"] {
            switch entry.value.kind {
            case .scalar(.int(let count), _) where count >= 0 && count <= 100:
                step.retry = RetryPolicy(count: count)
            case .mapping:
                if let retry = MappingReader(entry.value, what: "retry", sink: &sink) {
                    retry.checkKeys(["count", "delay"], sink: &sink)
                    let count = retry.int("count", sink: &sink) ?? 1
                    var delay = 0
                    if let d = retry["delay"] {
                        if let seconds = DurationText.seconds(d.value), seconds >= 0 { delay = seconds }
                        else { sink.error(d.value.location, "'delay' must be seconds or a duration like 30s", rule: "wrong-type") }
                    }
                    if !(0...100).contains(count) { sink.error(retry.node.location, "retry count must be 0…100", rule: "wrong-type") }
                    step.retry = RetryPolicy(count: max(0, min(100, count)), delaySeconds: delay)
                }
            default:
                sink.error(entry.value.location, "'retry' must be a count (0…100) or {count, delay}", rule: "wrong-type")
            }
        }
    }
}

/// Durations: an integer number of seconds or `90s`, `10m`, `1h`.
enum DurationText {
    static func seconds(_ node: SyntaxNode) -> Int? {
        switch node.kind {
        case .scalar(.int(let value), _): return value
        case .scalar(.string(let text), _):
            guard let unit = text.last, let number = Int(text.dropLast()), number >= 0 else { return nil }
            switch unit {
            case "s": return number
            case "m": return number.multipliedReportingOverflow(by: 60).overflow ? nil : number * 60
            case "h": return number.multipliedReportingOverflow(by: 3600).overflow ? nil : number * 3600
            default: return nil
            }
        default: return nil
        }
    }
}

/// Reads `condition: {if: {all|any|none: [...]}}` (seed L5006: "This must be the first
/// statement in every condition").
enum ConditionReader {
    static func read(_ node: SyntaxNode, sink: inout DiagnosticSink) -> Condition? {
        guard let map = MappingReader(node, what: "condition", sink: &sink) else { return nil }
        map.checkKeys(["if"], sink: &sink) { key in
            if ["all", "any", "none", "variable"].contains(key) { return "a condition starts with an If statement: 'if: {\(key == "variable" ? "all: [...]" : "\(key): [...]")}'" }
            return nil
        }
        guard let statement = map["if"] else {
            if map.entries.isEmpty { sink.error(node.location, "condition is empty; it needs 'if:'", rule: "missing-key") }
            return nil
        }
        // A condition with any error is dropped whole, so later checks do not judge a fragment.
        let before = sink.items.count
        let condition = readStatement(statement.value, depth: 1, sink: &sink)
        return sink.items.count == before ? condition : nil
    }

    static func readStatement(_ node: SyntaxNode, depth: Int, sink: inout DiagnosticSink) -> Condition? {
        if depth > SequenceLimits.maxConditionDepth {
            sink.error(node.location, "If statements are nested more than \(SequenceLimits.maxConditionDepth) deep", rule: "nesting-too-deep")
            return nil
        }
        guard let map = MappingReader(node, what: "If statement", sink: &sink) else { return nil }
        let names = Condition.Combinator.allCases.map(\.rawValue)
        map.checkKeys(names, sink: &sink)
        let present = map.entries.filter { names.contains($0.key) }
        guard present.count == 1, let entry = present.first, let combinator = Condition.Combinator(rawValue: entry.key) else {
            sink.error(node.location, "an If statement needs exactly one of 'all', 'any' or 'none'", rule: "condition-syntax")
            return nil
        }
        guard let list = entry.value.items else {
            sink.error(entry.value.location, "'\(entry.key)' must be a list of variable tests and If statements, not \(entry.value.typeWithArticle)", rule: "wrong-type")
            return nil
        }
        var children: [Condition] = []
        for item in list {
            if let child = readChild(item, depth: depth, sink: &sink) { children.append(child) }
        }
        return .statement(combinator, children, at: entry.keyLocation)
    }

    static func readChild(_ node: SyntaxNode, depth: Int, sink: inout DiagnosticSink) -> Condition? {
        guard let map = MappingReader(node, what: "condition item", sink: &sink) else { return nil }
        if let nested = map["if"] {
            map.checkKeys(["if"], sink: &sink)
            return readStatement(nested.value, depth: depth + 1, sink: &sink)
        }
        let operators = VariableTest.Operator.allCases.map(\.rawValue)
        map.checkKeys(["variable"] + operators, sink: &sink) { key in
            if ["all", "any", "none"].contains(key) { return "nest with an If statement: '- if: {\(key): [...]}'" }
            return nil
        }
        guard let (variableText, variableLocation) = map.string("variable", sink: &sink) else {
            if map["variable"] == nil { sink.error(node.location, "a condition item is a variable test ('variable:' and an operator) or a nested 'if:'", rule: "condition-syntax") }
            return nil
        }
        guard VariableName.isValid(variableText) else {
            sink.error(variableLocation, "'\(variableText)' is not a valid variable name", rule: "variable-name")
            return nil
        }
        let ops = map.entries.filter { operators.contains($0.key) }
        guard ops.count == 1, let opEntry = ops.first, let op = VariableTest.Operator(rawValue: opEntry.key) else {
            sink.error(node.location, "a variable test needs exactly one operator: \(operators.joined(separator: ", "))", rule: "condition-syntax")
            return nil
        }
        var value: String?
        if op.takesValue {
            switch opEntry.value.kind {
            case .scalar(.null, _):
                sink.error(opEntry.value.location, "'\(op.rawValue)' needs a value", rule: "condition-syntax")
                return nil
            case .scalar(_, let text): value = text
            default:
                sink.error(opEntry.value.location, "'\(op.rawValue)' compares with a string or number, not \(opEntry.value.typeWithArticle)", rule: "wrong-type")
                return nil
            }
        } else {
            switch opEntry.value.kind {
            case .scalar(.null, _), .scalar(.bool(true), _): break
            case .scalar(.bool(false), _):
                sink.error(opEntry.value.location, "write '\(op == .exists ? "notExists" : "exists"): true' instead of '\(op.rawValue): false'", rule: "condition-syntax")
                return nil
            default:
                sink.error(opEntry.value.location, CoreSchema.booleanMessage("'\(op.rawValue)' takes no value (write '\(op.rawValue): true')",
                                                                             found: opEntry.value.scalarText), rule: "wrong-type")
                return nil
            }
        }
        return .test(VariableTest(variable: VariableName(variableText), op: op, value: value, location: node.location,
                                  variableLocation: variableLocation, valueLocation: opEntry.value.location))
    }
}
