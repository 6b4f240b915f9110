import LocatedYAML
import Yams

/// Collects the diagnostics of one configuration file while it is read, so that every problem
/// is reported at once instead of stopping at the first.
final class DiagnosticLog {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Every dotted key a getter asked for, and those of them the file wrote (even as null):
    /// lets a test prove that the shipped file spells out every key.
    var declared: Set<String> = []
    var written: Set<String> = []

    init(file: String) { self.file = file }

    func location(_ mark: Mark?) -> SourceLocation {
        guard let mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func error(_ message: String, at mark: Mark?, rule: ConfigRule) {
        diagnostics.append(Diagnostic(.error, at: location(mark), message, rule: rule.rawValue))
    }

    func warning(_ message: String, at mark: Mark?, rule: ConfigRule) {
        diagnostics.append(Diagnostic(.warning, at: location(mark), message, rule: rule.rawValue))
    }

    func append(_ diagnostics: [Diagnostic]) { self.diagnostics += diagnostics }
}

/// The stable identifiers printed after each configuration diagnostic (`[unknown-key]`).
public enum ConfigRule: String, Sendable, CaseIterable {
    /// A key that no section declares; the message suggests the closest known key.
    case unknownKey = "unknown-key"
    /// A value of the wrong YAML type or form (`port: abc`, `subnet: 10.0.0.1`).
    case wrongType = "wrong-type"
    /// A number outside the range the key allows.
    case outOfRange = "out-of-range"
    /// A string that is not one of the key's allowed words (`mode: proxi`).
    case invalidValue = "invalid-value"
    /// A key an entry cannot do without (`subnet` in a DHCP subnet).
    case missingKey = "missing-key"
    /// Values that are each fine but contradict one another (a range outside its subnet).
    case conflict = "conflict"
    /// A value outside the seed's limits, replaced by the nearest limit (a warning).
    case clamped = "clamped"
}
