import LocatedYAML

/// Collects diagnostics while a model is read; caps their number so a hostile file cannot make
/// an unbounded report.
public struct DiagnosticSink: Sendable {
    public static let limit = 1_000
    public private(set) var items: [Diagnostic] = []
    private var dropped = 0

    public init() {}

    public mutating func error(_ location: SourceLocation, _ message: String, rule: String) {
        append(Diagnostic(.error, at: location, message, rule: rule))
    }

    public mutating func warning(_ location: SourceLocation, _ message: String, rule: String) {
        append(Diagnostic(.warning, at: location, message, rule: rule))
    }

    public mutating func append(_ diagnostic: Diagnostic) {
        if items.count < DiagnosticSink.limit { items.append(diagnostic) } else { dropped += 1 }
    }

    public mutating func append(contentsOf diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { append(diagnostic) }
    }

    /// The diagnostics sorted by place, with a final note when some were dropped.
    public func finished(file: String) -> [Diagnostic] {
        var sorted = items.enumerated().sorted { a, b in
            a.element.location == b.element.location ? a.offset < b.offset : a.element.location < b.element.location
        }.map(\.element)
        if dropped > 0 {
            sorted.append(Diagnostic(.note, at: SourceLocation(file: file, line: 1, column: 1),
                                     "\(dropped) more diagnostics not shown (limit \(DiagnosticSink.limit))", rule: "too-many-diagnostics"))
        }
        return sorted
    }
}

/// Reads one YAML mapping against a closed set of keys: unknown keys get "did you mean",
/// keys differing only in case are duplicates, and typed getters report wrong types.
struct MappingReader {
    let node: SyntaxNode
    let entries: [SyntaxEntry]
    var what: String

    /// Returns nil (after a `wrong-type` error) when `node` is not a mapping.
    init?(_ node: SyntaxNode, what: String, sink: inout DiagnosticSink) {
        guard let entries = node.entries else {
            sink.error(node.location, "\(what) must be a mapping, not \(node.typeWithArticle)", rule: "wrong-type")
            return nil
        }
        self.node = node
        self.entries = entries
        self.what = what
    }

    /// Reports keys outside `allowed` (with a suggestion) and repeated keys.
    func checkKeys(_ allowed: [String], sink: inout DiagnosticSink, hint: (String) -> String? = { _ in nil }) {
        var seen: [String: SourceLocation] = [:]
        for entry in entries {
            let lowered = entry.key.lowercased()
            if let first = seen[lowered] {
                sink.error(entry.keyLocation, "duplicate key '\(entry.key)' in \(what) (first at \(first.line):\(first.column))", rule: "duplicate-key")
                continue
            }
            seen[lowered] = entry.keyLocation
            if allowed.contains(entry.key) { continue }
            if let exact = allowed.first(where: { $0.lowercased() == lowered }) {
                sink.error(entry.keyLocation, "unknown key '\(entry.key)' in \(what); did you mean '\(exact)'? (keys are case-sensitive)", rule: "unknown-key")
                continue
            }
            var message = "unknown key '\(entry.key)' in \(what)"
            if let extra = hint(entry.key) {
                message += "; \(extra)"
            } else if let guess = Suggestion.closest(to: entry.key, among: allowed) {
                message += "; did you mean '\(guess)'?"
            } else {
                message += "; expected one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))"
            }
            sink.error(entry.keyLocation, message, rule: "unknown-key")
        }
    }

    subscript(key: String) -> SyntaxEntry? { entries.first { $0.key == key } }

    func string(_ key: String, sink: inout DiagnosticSink) -> (String, SourceLocation)? {
        guard let entry = self[key] else { return nil }
        return MappingReader.string(entry.value, key: key, sink: &sink)
    }

    static func string(_ node: SyntaxNode, key: String, sink: inout DiagnosticSink) -> (String, SourceLocation)? {
        switch node.kind {
        case .scalar(.null, _): return nil
        case .scalar(_, let text): return (text, node.location)
        default:
            sink.error(node.location, "'\(key)' must be a string, not \(node.typeWithArticle)", rule: "wrong-type")
            return nil
        }
    }

    func bool(_ key: String, sink: inout DiagnosticSink) -> Bool? {
        guard let entry = self[key] else { return nil }
        if case .scalar(.bool(let value), _) = entry.value.kind { return value }
        sink.error(entry.value.location, CoreSchema.booleanMessage("'\(key)' must be true or false, not \(entry.value.typeWithArticle)", found: entry.value.scalarText), rule: "wrong-type")
        return nil
    }

    func int(_ key: String, sink: inout DiagnosticSink) -> Int? {
        guard let entry = self[key] else { return nil }
        if case .scalar(.int(let value), _) = entry.value.kind { return value }
        sink.error(entry.value.location, "'\(key)' must be an integer, not \(entry.value.typeWithArticle)", rule: "wrong-type")
        return nil
    }

    func stringList(_ key: String, sink: inout DiagnosticSink) -> [String]? {
        guard let entry = self[key] else { return nil }
        guard let items = entry.value.items else {
            if let single = entry.value.scalarText { return [single] }
            sink.error(entry.value.location, "'\(key)' must be a list of strings, not \(entry.value.typeWithArticle)", rule: "wrong-type")
            return nil
        }
        var out: [String] = []
        for item in items {
            if let (text, _) = MappingReader.string(item, key: key, sink: &sink) { out.append(text) }
        }
        return out
    }
}

/// Reads a `variables:` mapping (sequence, Set Variables step, collection or device):
/// `Name: value`, `Name:` (prompted), `Name: {value: …, secret: true, description: …}`.
enum VariableBlockReader {
    static func read(_ node: SyntaxNode, what: String, sink: inout DiagnosticSink) -> [VariableDeclaration] {
        if node.isNull { return [] }
        guard let reader = MappingReader(node, what: what, sink: &sink) else { return [] }
        reader.checkKeys(reader.entries.map(\.key), sink: &sink)
        var out: [VariableDeclaration] = []
        for entry in reader.entries {
            guard VariableName.isValid(entry.key) else {
                sink.error(entry.keyLocation, "'\(entry.key)' is not a valid variable name (a letter first, then letters, digits, '_' or '-')", rule: "variable-name")
                continue
            }
            let name = VariableName(entry.key)
            if name.isReadOnly {
                sink.error(entry.keyLocation, "'\(entry.key)' is a read-only built-in variable and cannot be set", rule: "read-only-variable")
                continue
            }
            var secret = false
            var description: String?
            var text: String?
            switch entry.value.kind {
            case .scalar(.null, _): break
            case .scalar(_, let written): text = written
            case .mapping:
                guard let inner = MappingReader(entry.value, what: "variable '\(entry.key)'", sink: &sink) else { continue }
                inner.checkKeys(["value", "secret", "description"], sink: &sink)
                text = inner.string("value", sink: &sink)?.0
                secret = inner.bool("secret", sink: &sink) ?? false
                description = inner.string("description", sink: &sink)?.0
            case .sequence:
                sink.error(entry.value.location, "variable '\(entry.key)' must be a string or a mapping with 'value' and 'secret', not a list", rule: "wrong-type")
                continue
            }
            let value: DeclaredValue
            if let text, !text.isEmpty {
                value = .value(VariableValue(text, secret: secret))
            } else {
                value = .prompt(secret: secret)
            }
            out.append(VariableDeclaration(name: name, value: value, description: description, location: entry.keyLocation))
        }
        return out
    }
}
