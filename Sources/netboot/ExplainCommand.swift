import ArgumentParser
import BootImages
import BridgeCore
import Foundation
import NetbootConfig
import NetbootServer
import NetbootWire
import PacketCapture
import TaskSequence

/// `netboot explain --mac MAC [--model M] [--arch A] [--config FILE]` (issue 7): why a client
/// does or does not get each image, traced through the same `ImageCatalog.listDecision(for:)`
/// the BSDP responder runs over the same catalog (``ServedImages``, from the same
/// configuration), and which collections and deployed sequences apply to it; docs/capture.md.
/// With the bridge enabled, also the boot decision by deployment state (network menu or local
/// disk, and why; docs/pxe.md "Boot decisions").
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain which boot images, collections and sequences a client gets, and why.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot explain --mac 00:1c:42:00:00:01 --model MacBookPro11,1", "the images this Mac is offered, and why each other is not"),
                ("netboot explain --mac 00:1c:42:00:00:01 --config lab.yaml --inventory etc/inventory.yaml", "with another configuration, and its collections and sequences"),
                ("netboot explain --mac 52:54:00:12:34:56 --firmware uefi --json", "a PC; with the bridge enabled also whether it boots its local disk, and why"),
            ],
            exitCodes: [(0, "the explanation was printed"),
                        (1, "a bad --mac or --attributes, \(HelpText.configurationError), an unreadable images directory, inventory or bridge store")])
    )

    @Option(help: "The client's MAC address.")
    var mac: String

    @Option(help: "The client's model (BSDP system identifier, e.g. MacBookPro8,1).")
    var model: String?

    @Option(help: "The client's architecture as in option 60 (i386, ppc, arm64).")
    var arch = "i386"

    @Option(help: "The attribute filter list the client sends (BSDP sub-option 11), e.g. 0x0101,0x8101.")
    var attributes: String?

    @OptionGroup var location: ImagesLocation

    @Option(help: "The inventory file (devices, collections, deployments).")
    var inventory: String?

    @Option(help: "Explain a PC instead of a Mac: its firmware (bios, uefi, uefi-arm64, uefi-http).")
    var firmware: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// The boot decision from the bridge's run state (``readBootDecision(_:mac:)``); an unreadable
    /// store is an error (exit 1).
    func bootDecision(_ configuration: NetbootConfiguration, mac: MACAddress) throws -> BootDecision? {
        do {
            return try Self.readBootDecision(configuration, mac: mac)
        } catch {
            reportError("boot decision: cannot read the run state in \(configuration.stateDir): \(error)")
            throw ExitCode(1)
        }
    }

    func run() throws {
        guard let address = MACAddress(mac) else {
            reportError("not a MAC address: \(mac)")
            throw ExitCode(1)
        }
        if let firmware { return try explainPC(address, firmware: firmware, json: json) }
        var filter: [UInt16]?
        if let attributes {
            var values: [UInt16] = []
            for item in attributes.split(separator: ",") {
                let text = item.trimmingCharacters(in: .whitespaces).lowercased()
                let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
                guard let value = UInt16(digits, radix: 16) else {
                    reportError("not a 16-bit hex attribute value: \(item)")
                    throw ExitCode(1)
                }
                values.append(value)
            }
            filter = values
        }
        let configuration = try location.configuration()
        let catalog = location.scan(configuration).catalog
        if let problem = catalog.directoryError {
            reportError("images directory \(configuration.imagesDir): \(problem)")
            throw ExitCode(1)
        }
        var loaded: Inventory?
        if let inventory {
            let (parsed, errors) = Linter.inventory(data: FileManager.default.contents(atPath: inventory), file: inventory)
            if let errors { reportError("inventory \(inventory):\n\(errors)") }
            guard let parsed else { throw ExitCode(1) }
            loaded = parsed
        }
        let client = NetBootClient(mac: address, architecture: arch, systemIdentifier: model, attributeFilter: filter)
        let explanation = ClientExplanation(client: client, catalog: catalog, inventory: loaded)
        let decision = try bootDecision(configuration, mac: address)
        if json { return print(try decision.map { try Self.addingBootDecision($0, to: explanation.json) } ?? explanation.json) }
        for line in explanation.lines { print(line) }
        for folder in catalog.skippedFolders { print("skipped folder \(folder): not loaded, see `netboot images list`") }
        for line in decision.map(Self.bootDecisionLines) ?? [] { print(line) }
    }
}
