import Foundation
import Yams

/// A YAML file read into a Yams node tree that keeps every node's position (`Node.mark`), so
/// that later checks can point at `file:line:col`. Parsing never throws: broken YAML, bad
/// encodings and unreadable files come back as diagnostics.
public struct YAMLSource {
    public let file: String
    public let text: String
    /// The document's root node; nil when the file is empty or failed to parse.
    public let root: Node?
    /// Problems found while reading and parsing.
    public let diagnostics: [Diagnostic]

    /// Parses `text`, naming it `file` in diagnostics.
    public init(text: String, file: String) {
        self.file = file
        self.text = text
        do {
            root = try Yams.compose(yaml: text)
            diagnostics = []
        } catch {
            root = nil
            diagnostics = [YAMLSource.diagnostic(for: error, file: file)]
        }
    }

    /// Reads and parses the file at `path`. A file that cannot be read or is not UTF-8 gives
    /// one error diagnostic at 1:1.
    public init(contentsOf path: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            self.init(failed: path, YAMLSource.cannotRead(path), rule: "io")
            return
        }
        guard let text = String(data: data, encoding: .utf8) else {
            self.init(failed: path, "file is not valid UTF-8", rule: "encoding")
            return
        }
        self.init(text: text, file: path)
    }

    /// `cannot read file: <the system's reason>` for a file that could not be read (issue 14:
    /// "bind and read errors name the path and the reason"; the path is the diagnostic's).
    public static func cannotRead(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "cannot read file: it is a directory"
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd < 0 else {
            close(fd)
            return "cannot read file"
        }
        return "cannot read file: \(String(cString: strerror(errno)))"
    }

    private init(failed file: String, _ message: String, rule: String) {
        self.file = file
        self.text = ""
        self.root = nil
        self.diagnostics = [Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), message, rule: rule)]
    }

    /// The location of `node`, or 1:1 when Yams gave it no mark.
    public func location(of node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    static func diagnostic(for error: any Error, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let yamlError = error as? YamlError else {
            return Diagnostic(.error, at: start, "invalid YAML: \(error)", rule: "yaml-syntax")
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return Diagnostic(.error, at: at(mark), "invalid YAML: \(detail)", rule: "yaml-syntax")
        case let .duplicatedKeysInMapping(duplicates, context):
            return Diagnostic(.error, at: at(context.mark),
                              "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in mapping",
                              rule: "duplicate-key")
        case let .reader(problem, _, _, _):
            return Diagnostic(.error, at: start, "cannot read YAML: \(problem)", rule: "encoding")
        default:
            return Diagnostic(.error, at: start, "invalid YAML: \(yamlError)", rule: "yaml-syntax")
        }
    }
}

extension YAMLSource {
    /// Parses raw bytes named `file`: bytes that are not UTF-8 give one `encoding` error at 1:1
    /// instead of a parse (added for task sequences and inventories read from fixtures).
    public init(data: Data, file: String) {
        guard let text = String(data: data, encoding: .utf8) else {
            self.init(failed: file, "file is not valid UTF-8", rule: "encoding")
            return
        }
        self.init(text: text, file: file)
    }

    /// A source that could not be read: no text, no root, one error diagnostic at 1:1.
    public init(unreadable file: String, _ message: String, rule: String) {
        self.init(failed: file, message, rule: rule)
    }

    /// Parses `text` with a chosen tag resolver. `Resolver.basic` skips Yams' per-scalar
    /// regular expressions (most of the parse time on big files); the caller then types plain
    /// scalars itself (task sequences do, in `SyntaxReader`).
    public init(text: String, file: String, resolver: Resolver) {
        self.file = file
        self.text = text
        do {
            root = try Yams.compose(yaml: text, resolver)
            diagnostics = []
        } catch {
            root = nil
            diagnostics = [YAMLSource.diagnostic(for: error, file: file)]
        }
    }

    /// A source whose text is kept (for rendering carets) but which a caller refused to parse,
    /// e.g. because a pre-scan found nesting deeper than the parser should recurse.
    public init(rejecting text: String, file: String, because diagnostic: Diagnostic) {
        self.file = file
        self.text = text
        self.root = nil
        self.diagnostics = [diagnostic]
    }
}
