/// A place in a source file: 1-based line and column, as editors and compilers print them.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found in a YAML file (configuration, task sequence, inventory), printed as
/// `file:line:col: error: message [rule-id]` — the format compilers and editors understand.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible, Codable {
    public enum Severity: String, Hashable, Sendable, Codable {
        case error, warning, note
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    /// A stable identifier of the check that fired (`unknown-key`, `wrong-type`, …).
    public var ruleID: String?

    public init(_ severity: Severity, at location: SourceLocation, _ message: String, rule ruleID: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.ruleID = ruleID
    }

    public var description: String {
        var text = "\(location): \(severity.rawValue): \(message)"
        if let ruleID { text += " [\(ruleID)]" }
        return text
    }

    /// The diagnostic followed by its source line and a caret under the column, when the
    /// source text is known.
    public func rendered(source: String?) -> String {
        guard let source, location.line >= 1 else { return description }
        var currentLine = 1
        var lineText: Substring?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if currentLine == location.line { lineText = line; break }
            currentLine += 1
        }
        guard let lineText else { return description }
        let trimmed = lineText.hasSuffix("\r") ? lineText.dropLast() : lineText
        let caretColumn = max(1, min(location.column, trimmed.count + 1))
        let caret = String(repeating: " ", count: caretColumn - 1) + "^"
        return "\(description)\n  \(trimmed)\n  \(caret)"
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
