import ArgumentParser
import Foundation
import TaskSequence

/// `netboot ts lint FILE…`: every problem in every file at once, as
/// `file:line:col: error|warning: message [rule-id]` with the source line and a caret.
/// Exits 0 when there are no errors, 1 otherwise.
struct TSLintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check task sequences (and inventories) and report every problem at once.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot ts lint etc/sequences/*.yaml etc/inventory.yaml", "every sequence, with the inventory's variables"),
                ("netboot ts lint deploy.yaml --format json", "one file, diagnostics as JSON"),
            ],
            exitCodes: [(0, "no errors (warnings may be printed)"), (1, "at least one error in some file")])
    )

    enum Format: String, ExpressibleByArgument { case text, json, github, sarif }

    @Argument(help: "Task sequence or inventory files.")
    var files: [String]

    @Option(help: "Output format: text, json, github (Actions annotations) or sarif (SARIF 2.1.0).")
    var format: Format = .text

    @Flag(help: "Same as --format json.")
    var json = false

    @Option(help: "Inventory for collection and device variables (default: inventory.yaml next to the sequences folder).")
    var inventory: String?

    @Flag(help: "Do not read an inventory.")
    var noInventory = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file") }
    }

    func run() throws {
        var reports: [LintReport] = []
        var inventoryCache: [String: Inventory?] = [:]
        for file in files {
            guard let data = TSFiles.data(file) else {
                reports.append(.unreadable(file))
                continue
            }
            var layers: Inventory?
            if !noInventory, let path = TSFiles.inventoryPath(explicit: inventory, nextTo: file) {
                if let cached = inventoryCache[path] { layers = cached } else {
                    let (read, _) = TSFiles.loadInventory(path)
                    inventoryCache[path] = read
                    layers = read
                }
            }
            reports.append(Linter.lint(data: data, file: file, inventory: layers))
        }
        let errors = reports.map(\.errorCount).reduce(0, +)
        let warnings = reports.map(\.warningCount).reduce(0, +)
        switch json ? .json : format {
        case .json:
            print(Linter.json(reports))
        case .github:
            let annotations = Linter.githubAnnotations(reports)
            if !annotations.isEmpty { print(annotations) }
        case .sarif:
            print(Linter.sarif(reports, toolVersion: NetbootVersion.string))
        case .text:
            for report in reports where !report.diagnostics.isEmpty {
                print(report.rendered)
            }
            FileHandle.standardError.write(Data("\(files.count) file(s): \(errors) error(s), \(warnings) warning(s)\n".utf8))
        }
        if errors > 0 { throw ExitCode(1) }
    }
}
