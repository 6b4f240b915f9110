import Foundation
import LocatedYAML

/// One file's lint result: its diagnostics (sorted) and the source text for carets.
public struct LintReport: Sendable {
    public enum Kind: String, Sendable, Codable { case sequence, inventory }
    public var file: String
    public var kind: Kind
    public var text: String
    public var diagnostics: [Diagnostic]
    public var definition: TaskSequenceDefinition?
    public var inventory: Inventory?

    /// Secret values written in the file; masked as `***` in the source lines we print.
    public var secrets: [String] = []

    public var hasErrors: Bool { diagnostics.hasErrors }

    /// `file:line:col: severity: message [rule]`, source line and caret, per diagnostic.
    /// Secret values written in the file never appear: they are masked in the quoted lines.
    public var rendered: String {
        let source = text.isEmpty ? nil : SecretMask.mask(text, secrets: secrets)
        return diagnostics.map { $0.rendered(source: source) }.joined(separator: "\n")
    }
}

/// `netboot ts lint`: every problem in a file at once (engines §3.7, actionlint as the bar).
public enum Linter {
    /// Lints `data` named `file`. Inventory files (top-level `devices`, `collections` or
    /// `deployments`) are checked as inventories; everything else as a task sequence, with
    /// `inventory` (if any) as the collection and device layers.
    public static func lint(data: Data, file: String, inventory: Inventory? = nil) -> LintReport {
        let (source, root, syntaxDiagnostics) = SyntaxReader.read(data: data, file: file)
        var sink = DiagnosticSink()
        sink.append(contentsOf: syntaxDiagnostics)
        if let keys = root?.entries?.map(\.key), !keys.contains("steps"), !keys.contains("name"),
           keys.contains(where: InventoryReader.topKeys.contains) {
            let (read, diagnostics) = InventoryReader.read(root, file: file)
            sink.append(contentsOf: diagnostics)
            var report = LintReport(file: file, kind: .inventory, text: source.text, diagnostics: sink.finished(file: file), inventory: read)
            report.secrets = SecretMask.secrets(in: read.declaredVariables)
            return report
        }
        var definition: TaskSequenceDefinition?
        if root != nil || syntaxDiagnostics.isEmpty {
            let (read, diagnostics) = SequenceReader.read(root, file: file)
            sink.append(contentsOf: diagnostics)
            definition = read
            if let read { SequenceChecks(definition: read, inventory: inventory).run(into: &sink) }
        }
        var report = LintReport(file: file, kind: .sequence, text: source.text, diagnostics: sink.finished(file: file), definition: definition)
        if let definition { report.secrets = SecretMask.secrets(in: definition) }
        return report
    }

    /// Reads an inventory file; diagnostics use the same format.
    public static func inventory(data: Data, file: String) -> (Inventory, [Diagnostic]) {
        let (_, root, syntaxDiagnostics) = SyntaxReader.read(data: data, file: file)
        let (inventory, diagnostics) = InventoryReader.read(root, file: file)
        var sink = DiagnosticSink()
        sink.append(contentsOf: syntaxDiagnostics + diagnostics)
        return (inventory, sink.finished(file: file))
    }
}

/// The semantic checks on a read sequence: variables, scope, constant conditions, empty
/// groups, destructive order, duplicate ids, secrets written in clear.
struct SequenceChecks {
    let definition: TaskSequenceDefinition
    let inventory: Inventory?

    /// A place a variable gets a value, in run order (`order` = position among steps, -1 for
    /// layers that exist before the first step).
    struct Definer {
        var order: Int
        var stepName: String?
        var location: SourceLocation?
    }

    func run(into sink: inout DiagnosticSink) {
        var definers: [VariableName: [Definer]] = [:]
        for variable in BuiltInVariable.allCases { definers[variable.name, default: []].append(Definer(order: -1)) }
        for declaration in definition.variables { definers[declaration.name, default: []].append(Definer(order: -1)) }
        for declaration in inventory?.declaredVariables ?? [] { definers[declaration.name, default: []].append(Definer(order: -1)) }
        let steps = definition.allSteps
        for (order, step) in steps.enumerated() where step.type == .setVariables {
            for declaration in step.variables {
                definers[declaration.name, default: []].append(Definer(order: order, stepName: step.options.name, location: step.options.location))
            }
        }
        let known = Array(definers.keys.map(\.spelling)) + StepCatalog.boundVariables

        func undefined(_ name: VariableName, at location: SourceLocation, what: String, sink: inout DiagnosticSink) {
            var message = "\(what) '%\(name.spelling)%' is not defined by any collection, device, the sequence or a Set Variables step, and nothing prompts for it"
            if let guess = Suggestion.closest(to: name.spelling, among: known), guess.lowercased() != name.key { message += "; did you mean '\(guess)'?" }
            else { message += "; declare it under 'variables:' with no value to prompt for it" }
            sink.error(location, message, rule: "undefined-variable")
        }

        /// Checks that `name` has a definer before step `order`.
        func inScope(_ name: VariableName, before order: Int, at location: SourceLocation, what: String, sink: inout DiagnosticSink) {
            guard let found = definers[name] else {
                undefined(name, at: location, what: what, sink: &sink)
                return
            }
            if found.contains(where: { $0.order < order }) { return }
            if let later = found.first(where: { $0.order >= order }), let step = later.stepName, let at = later.location {
                let same = later.order == order
                sink.warning(location, "\(what) '\(name.spelling)' is set by step '\(step)' at \(at.line):\(at.column), which runs \(same ? "in this same step" : "after this point"); it is out of scope here (seed: variables used in conditions must be within scope)", rule: "variable-out-of-scope")
            }
        }

        var seenIDs: [String: SourceLocation] = [:]
        var firstTargetChange: Step?
        var order = 0

        func walk(_ items: [SequenceItem], sink: inout DiagnosticSink) {
            for item in items {
                let options = item.options
                if let id = options.id {
                    if let first = seenIDs[id.lowercased()] {
                        sink.error(options.location, "duplicate step id '\(id)' (first at \(first.line):\(first.column))", rule: "duplicate-id")
                    } else {
                        seenIDs[id.lowercased()] = options.location
                    }
                }
                if let condition = options.condition {
                    checkCondition(condition, before: order, sink: &sink)
                }
                switch item {
                case .group(let group):
                    if group.items.isEmpty {
                        sink.warning(options.location, "group '\(options.name)' has no steps", rule: "empty-group")
                    }
                    walk(group.items, sink: &sink)
                case .step(let step):
                    checkStep(step, order: order, sink: &sink)
                    order += 1
                }
            }
        }

        func checkCondition(_ condition: Condition, before order: Int, sink: inout DiagnosticSink) {
            for (name, location) in condition.variables {
                if name.isReadOnly, BuiltInVariable.named(name) == nil {
                    var message = "unknown built-in variable '\(name.spelling)'"
                    if let guess = Suggestion.closest(to: name.spelling, among: BuiltInVariable.allCases.map(\.rawValue)) { message += "; did you mean '\(guess)'?" }
                    sink.error(location, message, rule: "undefined-variable")
                    continue
                }
                if definers[name] == nil {
                    var message = "condition tests '\(name.spelling)', which no collection, device, the sequence or a Set Variables step defines; it will not be in scope when the condition runs"
                    if let guess = Suggestion.closest(to: name.spelling, among: known), guess.lowercased() != name.key { message += "; did you mean '\(guess)'?" }
                    sink.warning(location, message, rule: "variable-out-of-scope")
                    continue
                }
                inScope(name, before: order, at: location, what: "condition variable", sink: &sink)
            }
            let evaluator = ConditionEvaluator { name in
                if let builtIn = BuiltInVariable.named(name), builtIn.knownAtPlan { return .existsUnknown }
                return .unknown
            }
            let result = evaluator.evaluate(condition)
            if result != .undecided {
                sink.warning(condition.location, "this condition is always \(result.rawValue), whatever the variables", rule: "constant-condition")
            }
        }

        func checkStep(_ step: Step, order: Int, sink: inout DiagnosticSink) {
            let spec = step.type.spec
            if !step.options.disabled {
                if spec.destructive, let earlier = firstTargetChange {
                    sink.warning(step.options.location, "'\(step.options.name)' (\(step.type.rawValue)) overwrites the volume after '\(earlier.options.name)' at \(earlier.options.location.line):\(earlier.options.location.column) already changed it; that work will be lost", rule: "destructive-order")
                }
                if spec.changesTarget, !spec.destructive, firstTargetChange == nil { firstTargetChange = step }
            }
            for property in spec.properties {
                if let written = step.properties[property.key] {
                    for text in written.value.strings {
                        for name in VariableReferences.names(in: text) {
                            if name.isReadOnly, BuiltInVariable.named(name) == nil {
                                undefined(name, at: written.location, what: "variable", sink: &sink)
                            } else {
                                inScope(name, before: order, at: written.location, what: "variable", sink: &sink)
                            }
                        }
                    }
                    if property.secret, case .text(let text) = written.value, VariableReferences.names(in: text).isEmpty {
                        sink.warning(written.location, "'\(property.key)' is a secret written in clear in the file; use a secret variable (e.g. %\(property.variable ?? "Password")%) set in the inventory", rule: "secret-literal")
                    }
                } else if property.required {
                    guard let variable = property.variable else {
                        sink.error(step.options.location, "\(step.type.rawValue) step '\(step.options.name)' needs '\(property.key)' (\(property.summary))", rule: "missing-property")
                        continue
                    }
                    let name = VariableName(variable)
                    if definers[name] == nil {
                        sink.error(step.options.location, "\(step.type.rawValue) step '\(step.options.name)' needs '\(property.key)': write it, or define \(variable) in a collection, a device or the sequence's variables (with no value to prompt for it)", rule: "unbound-property")
                    } else {
                        inScope(name, before: order, at: step.options.location, what: "variable", sink: &sink)
                    }
                }
            }
            for declaration in step.variables {
                if case .value(let value) = declaration.value {
                    for name in VariableReferences.names(in: value.reveal()) {
                        inScope(name, before: order, at: declaration.location, what: "variable", sink: &sink)
                    }
                }
            }
        }

        walk(definition.items, sink: &sink)
    }
}

extension Linter {
    /// Several files' reports as one JSON document (`--format json`).
    public static func json(_ reports: [LintReport]) -> String {
        struct Item: Encodable {
            var file: String, line: Int, column: Int, severity: String, message: String, rule: String?
        }
        struct FileReport: Encodable {
            var file: String, kind: String, diagnostics: [Item]
        }
        struct Document: Encodable {
            var files: [FileReport], errors: Int, warnings: Int
        }
        let all = reports.flatMap(\.diagnostics)
        let document = Document(
            files: reports.map { report in
                FileReport(file: report.file, kind: report.kind.rawValue, diagnostics: report.diagnostics.map {
                    Item(file: $0.location.file, line: $0.location.line, column: $0.location.column,
                         severity: $0.severity.rawValue, message: $0.message, rule: $0.ruleID)
                })
            },
            errors: all.filter { $0.severity == .error }.count,
            warnings: all.filter { $0.severity == .warning }.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document), let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }
}

extension LintReport {
    /// A report for a file that could not be read.
    public static func unreadable(_ file: String) -> LintReport {
        LintReport(file: file, kind: .sequence, text: "",
                   diagnostics: [Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), YAMLSource.cannotRead(file), rule: "io")])
    }

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
}

extension Linter {
    /// Reads an inventory for `plan`/`lint`: the inventory, and its problems rendered with
    /// carets (nil when it has no errors).
    public static func inventory(data: Data?, file: String) -> (Inventory?, errors: String?) {
        guard let data else { return (nil, "\(file):1:1: error: cannot read inventory [io]") }
        let (inventory, diagnostics) = Linter.inventory(data: data, file: file)
        guard diagnostics.hasErrors else { return (inventory, nil) }
        let text = String(data: data, encoding: .utf8).map { SecretMask.mask($0, secrets: SecretMask.secrets(in: inventory.declaredVariables)) }
        return (inventory, diagnostics.map { $0.rendered(source: text) }.joined(separator: "\n"))
    }
}

/// Finds secret values written in a file and masks them in text we print.
public enum SecretMask {
    public static func secrets(in declarations: [VariableDeclaration]) -> [String] {
        declarations.compactMap { declaration in
            if case .value(let value) = declaration.value, value.isSecret || StepCatalog.secretVariables.contains(declaration.name) {
                return value.reveal()
            }
            return nil
        }
    }

    public static func secrets(in definition: TaskSequenceDefinition) -> [String] {
        var out = secrets(in: definition.variables)
        for step in definition.allSteps {
            out += secrets(in: step.variables)
            for property in step.type.spec.properties where property.secret {
                if case .text(let text) = step.properties[property.key]?.value, VariableReferences.names(in: text).isEmpty { out.append(text) }
            }
        }
        return out
    }

    /// `text` with every secret replaced by `***` (longest first, so overlapping secrets mask fully).
    public static func mask(_ text: String, secrets: [String]) -> String {
        var out = text
        for secret in Set(secrets).sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
            out = out.replacingOccurrences(of: secret, with: Secret.mask)
        }
        return out
    }
}
