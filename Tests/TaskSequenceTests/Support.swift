import Foundation
import LocatedYAML
@testable import TaskSequence

/// Lints YAML text as a file named `file`.
func lint(_ yaml: String, file: String = "test.yaml", inventory: Inventory? = nil) -> LintReport {
    Linter.lint(data: Data(yaml.utf8), file: file, inventory: inventory)
}

/// Reads a sequence that must be clean (no errors).
func sequence(_ yaml: String, inventory: Inventory? = nil) throws -> TaskSequenceDefinition {
    let report = lint(yaml, inventory: inventory)
    guard !report.hasErrors, let definition = report.definition else {
        throw TestFailure(report.rendered)
    }
    return definition
}

func inventory(_ yaml: String) throws -> Inventory {
    let (read, diagnostics) = Linter.inventory(data: Data(yaml.utf8), file: "inventory.yaml")
    if diagnostics.hasErrors { throw TestFailure(diagnostics.map(\.description).joined(separator: "\n")) }
    return read
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The repository root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
