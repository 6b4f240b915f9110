import ArgumentParser
import BootServices
import Foundation
import Logging
import NetbootServer
import NetbootStore

/// `netboot leases`: the DHCP lease database of `mode: authoritative` (docs/dhcp.md).
struct LeasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases",
        abstract: "Inspect the DHCP leases of authoritative mode.",
        discussion: HelpText.discussion(examples: [("netboot leases list", "every lease in the configuration's state-dir")],
                                        exitCodes: HelpText.group),
        subcommands: [LeasesListCommand.self, LeasesReleaseCommand.self]
    )
}

/// `netboot leases list [--json] [--config FILE] [--state-dir DIR]`: every lease record, by
/// address — the running server's through its control socket (docs/control.md), else from the
/// configuration's store (`state-dir`'s SQLite file as `netboot serve` writes it, or the PostgreSQL
/// database `store:` names) unless `--state-dir` says otherwise.
struct LeasesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List leases: address, MAC, client id, hostname, state and expiry.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot leases list", "the leases in etc/netboot.yaml's state-dir, as a table"),
                ("netboot leases list --config lab.yaml --json", "another configuration's state-dir, as JSON"),
            ],
            exitCodes: [(0, "listed (no lease database yet is not an error)"),
                        (1, "\(HelpText.configurationError), or the lease database cannot be read")])
    )

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var config: ConfigurationOption

    @Option(name: .long, help: ArgumentHelp("The state directory holding netboot.sqlite (default: the configuration's state-dir).", valueName: "dir"))
    var stateDir: String?

    func run() throws {
        let configuration = try config.load().configuration
        let stateDir = self.stateDir ?? configuration.stateDir
        let path = (stateDir as NSString).appendingPathComponent(SQLiteStore.fileName)
        let now = Date()
        var leases: [DHCPLease] = []
        if let served = LeasesFromServer.rows(stateDir: stateDir) {
            try show(served)
            return
        }
        if self.stateDir == nil, case .postgresql = configuration.store {
            do {
                leases = try ConfiguredStore.open(configuration, migrate: false, logger: Logger(label: "netboot.store")).allLeases()
            } catch {
                printToStandardError("netboot: cannot read the store \(ConfiguredStore.location(configuration)): \(error)")
                throw ExitCode(1)
            }
        } else if FileManager.default.fileExists(atPath: path) {
            do {
                leases = try SQLiteStore(path: path, readOnly: true).allLeases()
            } catch {
                printToStandardError("netboot: cannot read \(path): \(error)")
                throw ExitCode(1)
            }
        } else {
            FileHandle.standardError.write(Data("netboot: no lease database at \(path) yet\n".utf8))
        }
        try show(leases.map { LeaseRow(lease: $0, now: now) })
    }

    private func show(_ rows: [LeaseRow]) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print(LeaseRow.table(rows))
        }
    }
}

/// One printed lease. `state` is `expired` for a bound lease whose time ran out.
struct LeaseRow: Encodable {
    var address: String
    var mac: String
    var clientID: String
    var hostname: String?
    var state: String
    var expires: String

    init(lease: DHCPLease, now: Date) {
        address = lease.address.description
        mac = lease.mac.description
        clientID = lease.clientID.description
        hostname = lease.hostname
        state = lease.state == .bound && lease.expires <= now ? "expired" : lease.state.rawValue
        expires = lease.expires.formatted(.iso8601)
    }

    static func table(_ rows: [LeaseRow]) -> String {
        let header = ["ADDRESS", "MAC", "CLIENT-ID", "HOSTNAME", "STATE", "EXPIRES"]
        let cells = [header] + rows.map {
            [$0.address, $0.mac, $0.clientID, $0.hostname.map(printable) ?? "-", $0.state, $0.expires]
        }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { line in
            line.enumerated().map { column, cell in
                column == line.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// A client-chosen host name made safe for a terminal: control and format characters and white space as
    /// `\u{…}` escapes, so a hostile option 12 cannot rewrite the screen or shift columns.
    static func printable(_ text: String) -> String {
        text.unicodeScalars.map { scalar in
            let category = scalar.properties.generalCategory
            return category == .control || category == .format || scalar.properties.isWhitespace
                ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
    }
}
