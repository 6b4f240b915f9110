import ArgumentParser
import Foundation
import TaskSequence

/// `netboot ts`: the deployment author's tools — lint, plan and schema for task sequences
/// (docs/task-sequences.md).
struct TSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ts",
        abstract: "Check, plan and describe task sequences (etc/sequences/*.yaml); watch their runs.",
        discussion: HelpText.discussion(examples: [("netboot ts lint etc/sequences/*.yaml", "check every sequence")],
                                        exitCodes: HelpText.group),
        subcommands: [TSLintCommand.self, TSPlanCommand.self, TSSchemaCommand.self, TSRunsCommand.self]
    )
}

/// File loading shared by the `ts` subcommands: the only place they touch the disk.
enum TSFiles {
    static func data(_ path: String) -> Data? {
        FileManager.default.contents(atPath: path)
    }

    /// `--inventory` if given, else `inventory.yaml` in the parent of the sequence's folder
    /// (etc/sequences/x.yaml → etc/inventory.yaml), else none.
    static func inventoryPath(explicit: String?, nextTo sequence: String) -> String? {
        if let explicit { return explicit }
        let folder = URL(fileURLWithPath: sequence).deletingLastPathComponent()
        let candidate = folder.deletingLastPathComponent().appendingPathComponent("inventory.yaml").path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// The inventory at `path` and its errors rendered with carets (nil when clean).
    static func loadInventory(_ path: String?) -> (Inventory?, String?) {
        guard let path else { return (nil, nil) }
        return Linter.inventory(data: data(path), file: path)
    }
}

struct TSSchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the task-sequence format (for editors; also in docs/schema/).",
        discussion: HelpText.discussion(
            examples: [("netboot ts schema > sequence.schema.json", "for an editor's YAML language server"),
                       ("netboot ts schema --inventory", "the inventory's schema")],
            exitCodes: [(0, "the schema was printed")])
    )

    @Flag(help: "Print the inventory schema instead (docs/schema/inventory.schema.json).")
    var inventory = false

    func run() {
        print(inventory ? InventorySchema.text() : TaskSequenceSchema.text(), terminator: "")
    }
}
