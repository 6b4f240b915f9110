import ArgumentParser
import BridgeCore
import Foundation
import NetbootStore
import ProxyBridge

/// `netboot devices escrow MAC`: a device's escrowed secrets (docs/bridge.md, "Escrow"), read
/// from `bridge.sqlite` and opened with `bridge-escrow.key` of the same state directory — what
/// `GET /v1/devices/{mac}/escrow` answers a Key Administrator. Whoever can read those two files
/// holds the secrets anyway; the read is still an audit line (actor `cli`), like `tokens issue`.
struct DevicesEscrowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escrow", abstract: "A device's escrowed secrets (FileVault recovery keys), newest first; audited.",
        discussion: HelpText.discussion(
            examples: [("netboot devices escrow 52:54:00:12:34:56", "kind, time and secret of each escrow"),
                       ("netboot devices escrow 52:54:00:12:34:56 --json", "as JSON")],
            exitCodes: [(0, "shown"), (1, "\(HelpText.configurationError), or bridge.sqlite or the escrow key cannot be read"),
                        (64, "not a MAC address, or nothing escrowed for it")]))

    @Argument(help: "The device's MAC address.") var mac: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var state: BridgeStateOption

    func validate() throws {
        guard MACText.normalized(mac) != nil else { throw ValidationError("\(mac) is not a MAC address (aa:bb:cc:dd:ee:ff)") }
    }

    func run() throws {
        let directory = try state.directory()
        guard let key = MACText.normalized(mac), try state.records(write: false) != nil,
              let store = try state.records(write: true) else { throw ValidationError("no bridge database") }
        let entries = try store.escrowed(mac: key)
        let now = Date()
        guard !entries.isEmpty else {
            try store.appendAudit(AuditEntry(at: now, actor: "cli", role: "cli", action: "escrow.read", target: key, outcome: "not-found"))
            throw ValidationError("nothing escrowed for \(mac)")
        }
        let seal: EscrowSeal
        do { seal = try EscrowKeyFile.load(stateDirectory: directory, create: false) } catch { throw ValidationError("\(error)") }
        try store.appendAudit(AuditEntry(at: now, actor: "cli", role: "cli", action: "escrow.read", target: key, outcome: "allowed"))
        let rows = entries.map { entry in
            EscrowRow(id: entry.id, kind: entry.kind, escrowedAt: entry.escrowedAt,
                      secret: seal.open(entry.sealed, mac: entry.mac, kind: entry.kind))
        }
        if json {
            print(try CLIJSON.string(["mac": JSONValue.string(key), "secrets": .array(rows.map(\.json))]))
        } else {
            print(CLITable.render(["ID", "KIND", "ESCROWED", "SECRET"], rows.map {
                ["\($0.id)", $0.kind, $0.escrowedAt.formatted(.iso8601), $0.secret.map(LeaseRow.printable) ?? "(sealed by another key)"]
            }))
        }
    }

    struct EscrowRow {
        var id: Int64
        var kind: String
        var escrowedAt: Date
        var secret: String?

        var json: JSONValue {
            .object(["id": .number(Double(id)), "kind": .string(kind), "escrowed_at": .string(escrowedAt.formatted(.iso8601)),
                     "secret": secret.map(JSONValue.string) ?? .null, "sealed_by_another_key": .bool(secret == nil)])
        }
    }
}
