import Foundation
import LocatedYAML

/// `netboot config check --json` (issue 20): the outcome of one check as a JSON object, for CI
/// and editors — `{"file", "found", "ok", "errors", "warnings", "diagnostics": [{"file", "line",
/// "column", "severity", "message", "rule"}]}`, diagnostics in file order.
struct ConfigCheckReport: Encodable {
    struct Entry: Encodable {
        var file: String
        var line: Int
        var column: Int
        var severity: String
        var message: String
        var rule: String?
    }

    var file: String
    /// False when the file does not exist: the default file (the embedded defaults are checked)
    /// or a named one (an `io` error).
    var found: Bool
    var ok: Bool
    var errors: Int
    var warnings: Int
    var diagnostics: [Entry]

    init(file: String, found: Bool, diagnostics: [Diagnostic]) {
        self.file = file
        self.found = found
        let sorted = diagnostics.sorted { $0.location < $1.location }
        errors = sorted.filter { $0.severity == .error }.count
        warnings = sorted.filter { $0.severity == .warning }.count
        ok = errors == 0
        self.diagnostics = sorted.map {
            Entry(file: $0.location.file, line: $0.location.line, column: $0.location.column,
                  severity: $0.severity.rawValue, message: $0.message, rule: $0.ruleID)
        }
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
