import ArgumentParser
import Foundation
import TaskSequence

/// `netboot ts plan SEQUENCE --mac MAC`: what the sequence would do on that machine — its
/// collections, resolved variables with their layers (secrets as ***), prompted variables, and
/// each step with its condition evaluated or "decided at run time".
struct TSPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a task sequence would do on one machine, without touching it.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot ts plan deploy-macos --mac 00:1c:42:00:00:01", "etc/sequences/deploy-macos.yaml on this machine"),
                ("netboot ts plan deploy.yaml --mac 00:1c:42:00:00:01 --model MacBookPro11,1 --json", "as JSON"),
            ],
            exitCodes: [(0, "the plan was printed"), (1, "the sequence or the inventory cannot be read or has errors")])
    )

    @Argument(help: "A task sequence file, or a name in etc/sequences/.")
    var sequence: String

    @Option(help: "The machine's MAC address.")
    var mac: String

    @Option(help: "The machine's model identifier (e.g. MacBookPro11,1).")
    var model: String?

    @Option(help: "The machine's serial number.")
    var serial: String?

    @Option(help: "mac or pc (default: from the model; Mac when unknown).")
    var platform: String?

    @Option(help: "Inventory file (default: inventory.yaml next to the sequences folder, else etc/inventory.yaml).")
    var inventory: String?

    @Flag(help: "Print the plan as JSON.")
    var json = false

    func validate() throws {
        guard MACText.normalized(mac) != nil else { throw ValidationError("'\(mac)' is not a MAC address (e.g. 00:11:22:aa:bb:cc)") }
        if let platform, Inventory.Machine.Platform(rawValue: platform) == nil { throw ValidationError("--platform is mac or pc") }
    }

    func resolvedSequencePath() -> String {
        if FileManager.default.fileExists(atPath: sequence) { return sequence }
        for candidate in ["etc/sequences/\(sequence).yaml", "etc/sequences/\(sequence).yml", "etc/sequences/\(sequence)"]
        where FileManager.default.fileExists(atPath: candidate) { return candidate }
        return sequence
    }

    func run() throws {
        let path = resolvedSequencePath()
        guard let data = TSFiles.data(path) else {
            FileHandle.standardError.write(Data(LintReport.unreadable(path).diagnostics.map { "\($0)\n" }.joined().utf8))
            throw ExitCode(1)
        }
        var inventoryPath = TSFiles.inventoryPath(explicit: inventory, nextTo: path)
        if inventoryPath == nil, FileManager.default.fileExists(atPath: "etc/inventory.yaml") { inventoryPath = "etc/inventory.yaml" }
        let (read, inventoryErrors) = TSFiles.loadInventory(inventoryPath)
        let report = Linter.lint(data: data, file: path, inventory: read)
        var problems: [String] = []
        if let inventoryErrors { problems.append(inventoryErrors) }
        if report.hasErrors { problems.append(report.rendered) }
        guard problems.isEmpty, let definition = report.definition else {
            FileHandle.standardError.write(Data((problems.joined(separator: "\n") + "\nplan: fix the errors above first\n").utf8))
            throw ExitCode(1)
        }
        let machine = Inventory.Machine(mac: mac, model: model, serial: serial, platform: platform.flatMap(Inventory.Machine.Platform.init(rawValue:)))
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let plan = Planner.plan(definition, inventory: read ?? Inventory(), machine: machine, sequenceKeys: [stem])
        print(json ? plan.json() : plan.text)
    }
}
