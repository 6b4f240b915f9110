import Foundation
import LocatedYAML
import Yams

/// The located syntax tree: a Sendable copy of the Yams node tree in which every scalar, mapping,
/// sequence and mapping key keeps its `file:line:col` (from Yams' `Node.mark`). Models are built
/// from this tree, never decoded through `Codable`, so every diagnostic can point at its source
/// (task-sequence-engines §3.7).
public struct SyntaxNode: Sendable {
    public enum Scalar: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
    }

    public enum Kind: Sendable {
        /// A scalar: its resolved value and its text as written.
        case scalar(Scalar, text: String)
        case mapping([SyntaxEntry])
        case sequence([SyntaxNode])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The YAML type name used in "wrong type" messages.
    public var typeName: String {
        switch kind {
        case .scalar(.null, _): return "null"
        case .scalar(.bool, _): return "boolean"
        case .scalar(.int, _): return "integer"
        case .scalar(.float, _): return "number"
        case .scalar(.string, _): return "string"
        case .mapping: return "mapping"
        case .sequence: return "list"
        }
    }

    /// The type name with its article: "a string", "an integer".
    public var typeWithArticle: String {
        let name = typeName
        return (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
    }

    public var isNull: Bool {
        if case .scalar(.null, _) = kind { return true }
        return false
    }

    /// The scalar's text for string-like use (strings, numbers and booleans as written).
    public var scalarText: String? {
        switch kind {
        case .scalar(.null, _): return nil
        case .scalar(_, let text): return text
        default: return nil
        }
    }

    public var entries: [SyntaxEntry]? {
        if case .mapping(let entries) = kind { return entries }
        return nil
    }

    public var items: [SyntaxNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }
}

/// One `key: value` pair of a mapping, with the key's own location (where "unknown key" points).
public struct SyntaxEntry: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: SyntaxNode
}

/// Limits that keep hostile files from exhausting the stack or memory while reading.
public enum SyntaxLimits {
    /// Deepest YAML nesting (mappings and lists) accepted; deeper nodes become one error.
    public static let maxDepth = 200
    /// Most nodes accepted in one file (after alias expansion).
    public static let maxNodes = 2_000_000
    /// Largest file accepted, in bytes.
    public static let maxBytes = 8 << 20
    /// A conservative bound on nesting, checked on the raw text before Yams (which recurses) runs.
    public static let maxPrescanDepth = 1_000
}

/// Reads files into located syntax trees; never throws, never traps.
public enum SyntaxReader {
    /// Loads `data` named `file`: size, UTF-8, a nesting pre-scan, YAML, then the located tree.
    public static func read(data: Data, file: String) -> (source: YAMLSource, root: SyntaxNode?, diagnostics: [Diagnostic]) {
        if data.count > SyntaxLimits.maxBytes {
            let source = YAMLSource(unreadable: file, "file is \(data.count) bytes; the limit is \(SyntaxLimits.maxBytes)", rule: "file-too-large")
            return (source, nil, source.diagnostics)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let source = YAMLSource(data: data, file: file)
            return (source, nil, source.diagnostics)
        }
        return read(text: text, file: file)
    }

    /// Parses `text` named `file` into a located tree.
    public static func read(text: String, file: String) -> (source: YAMLSource, root: SyntaxNode?, diagnostics: [Diagnostic]) {
        if let (line, column) = prescanTooDeep(text) {
            let diagnostic = Diagnostic(.error, at: SourceLocation(file: file, line: line, column: column),
                                        "nesting is deeper than \(SyntaxLimits.maxPrescanDepth) levels; refusing to parse", rule: "nesting-too-deep")
            let source = YAMLSource(rejecting: text, file: file, because: diagnostic)
            return (source, nil, source.diagnostics)
        }
        let source = YAMLSource(text: text, file: file, resolver: .basic)
        var diagnostics = source.diagnostics
        guard let root = source.root else { return (source, nil, diagnostics) }
        var builder = Builder(file: file)
        let tree = builder.convert(root, depth: 0)
        diagnostics += builder.diagnostics
        return (source, tree, diagnostics)
    }

    /// Finds the first place where a cheap upper bound of the nesting depth (the content column
    /// plus open flow brackets) passes the pre-scan limit.
    static func prescanTooDeep(_ text: String) -> (Int, Int)? {
        var flow = 0
        var line = 1
        var column = 0
        var atLineStart = true
        var quote: UInt8?
        var comment = false
        let limit = SyntaxLimits.maxPrescanDepth
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") {
                line += 1; column = 0; atLineStart = true; comment = false
                continue
            }
            column += 1
            if comment { continue }
            if atLineStart {
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "\t") {
                    if column + flow > limit { return (line, column) }
                    continue
                }
                atLineStart = false
            }
            if let q = quote {
                if byte == q { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "#"): comment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow += 1
                if flow + column > limit { return (line, column) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1)
            default: break
            }
        }
        return nil
    }

    private struct Builder {
        let file: String
        var diagnostics: [Diagnostic] = []
        var nodes = 0
        var reportedDepth = false
        var reportedCount = false

        init(file: String) { self.file = file }

        func location(_ node: Node) -> SourceLocation {
            guard let mark = node.mark else { return SourceLocation(file: file, line: 1, column: 1) }
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        }

        mutating func convert(_ node: Node, depth: Int) -> SyntaxNode {
            let here = location(node)
            nodes += 1
            if nodes > SyntaxLimits.maxNodes {
                if !reportedCount {
                    reportedCount = true
                    diagnostics.append(Diagnostic(.error, at: here, "more than \(SyntaxLimits.maxNodes) YAML nodes (alias expansion?)", rule: "file-too-large"))
                }
                return SyntaxNode(.scalar(.null, text: ""), at: here)
            }
            if depth > SyntaxLimits.maxDepth {
                if !reportedDepth {
                    reportedDepth = true
                    diagnostics.append(Diagnostic(.error, at: here, "YAML nesting is deeper than \(SyntaxLimits.maxDepth) levels", rule: "nesting-too-deep"))
                }
                return SyntaxNode(.scalar(.null, text: ""), at: here)
            }
            switch node {
            case .scalar(let scalar):
                return SyntaxNode(.scalar(Self.resolve(node, scalar), text: scalar.string), at: here)
            case .mapping(let mapping):
                var entries: [SyntaxEntry] = []
                entries.reserveCapacity(mapping.count)
                for (key, value) in mapping {
                    let keyLocation = location(key)
                    guard case .scalar(let keyScalar) = key else {
                        diagnostics.append(Diagnostic(.error, at: keyLocation, "mapping keys must be plain strings", rule: "wrong-type"))
                        continue
                    }
                    entries.append(SyntaxEntry(key: keyScalar.string, keyLocation: keyLocation, value: convert(value, depth: depth + 1)))
                }
                return SyntaxNode(.mapping(entries), at: here)
            case .sequence(let sequence):
                var items: [SyntaxNode] = []
                items.reserveCapacity(sequence.count)
                for item in sequence { items.append(convert(item, depth: depth + 1)) }
                return SyntaxNode(.sequence(items), at: here)
            case .alias:
                diagnostics.append(Diagnostic(.error, at: here, "unresolved YAML alias", rule: "yaml-syntax"))
                return SyntaxNode(.scalar(.null, text: ""), at: here)
            }
        }

        /// Types a plain scalar by YAML 1.2's core schema (`CoreSchema`: null, bool as
        /// true/false only, int, float), without Yams' per-scalar regular expressions.
        /// Quoted and block scalars are strings.
        static func resolve(_ node: Node, _ scalar: Node.Scalar) -> SyntaxNode.Scalar {
            let text = scalar.string
            guard scalar.style == .plain || scalar.style == .any else { return .string(text) }
            return ScalarTyping.type(of: text)
        }
    }
}

/// Plain-scalar typing: YAML 1.2's core schema (`CoreSchema`, shared with the configuration
/// reader, so `yes` is a string in a sequence as it is in `etc/netboot.yaml`).
enum ScalarTyping {
    static func type(of text: String) -> SyntaxNode.Scalar {
        switch CoreSchema.type(of: text) {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let value): return .int(value)
        case .float(let value): return .float(value)
        case .string(let text): return .string(text)
        }
    }
}
