import ArgumentParser
import ControlProtocol
import Foundation

/// `netboot status [--json]`: the running appliance's services, addresses, counters, uptime and
/// version, through the control socket. Exits 3 when `netboot serve` is not running for this
/// state dir, 4 when the socket may not be opened by this user (docs/control.md).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running appliance: services, addresses, counts, uptime, version.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot status", "services, addresses, counts, uptime and version of the server of etc/netboot.yaml's state-dir"),
                ("netboot status --json --state-dir /var/lib/netboot", "the same as JSON, for another state dir"),
            ],
            exitCodes: ControlConnection.exitCodes(done: "the appliance runs; its status was printed"))
    )

    @OptionGroup var config: ConfigurationOption

    @Option(name: .long, help: "The state directory holding netboot.sock (default: the configuration's state-dir).")
    var stateDir: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let reply: ControlReply
        do {
            reply = try ControlConnection.send(.status, stateDir: stateDir ?? ControlConnection.stateDir(config: config.config))
        } catch {
            if case .notRunning = error { print("netboot is not running") }
            throw ControlConnection.exit(for: error)
        }
        switch reply.outcome {
        case .status(let report):
            print(json ? try ControlConnection.json(report) : StatusText.render(report))
        case .error(let error):
            throw ControlConnection.exit(for: error)
        default:
            throw ControlConnection.exit(for: ControlError(.failed, "unexpected reply to status"))
        }
    }
}

/// The text form of a ``StatusReport``.
enum StatusText {
    static func render(_ report: StatusReport) -> String {
        var lines = ["netboot \(report.version) running (pid \(report.pid)), up \(duration(report.uptimeSeconds)) since \(report.startedAt)",
                     "configuration: \(report.configuration)", ""]
        let header = ["SERVICE", "STATE", "ADDRESSES", "DETAIL"]
        let rows = report.services.map { service in
            [service.name, service.state.rawValue,
             service.addresses.isEmpty ? "-" : service.addresses.joined(separator: ", "), service.detail ?? ""]
        }
        lines += table([header] + rows)
        lines.append("")
        let c = report.counts
        if let leases = c.leases {
            lines.append("leases:           \(leases) (\(c.leasesActive ?? 0) active)")
        } else {
            lines.append("leases:           - (this appliance assigns no addresses)")
        }
        lines.append("dhcp exchanges:   \(c.dhcpExchanges) (\(c.dhcpDrops) dropped)")
        lines.append("tftp transfers:   \(c.tftpTransfersRunning) running, \(c.tftpTransfers) finished, \(c.tftpDrops) datagrams dropped")
        lines.append("http requests:    \(c.httpRequests) (\(c.httpConnectionsOpen) connections open)")
        lines.append("flight recorder:  \(c.flightRecorderPackets.map { "\($0) packets" } ?? "off")")
        return lines.joined(separator: "\n")
    }

    static func duration(_ seconds: Int) -> String {
        let days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60, rest = seconds % 60
        if days > 0 { return "\(days)d \(hours)h \(minutes)m" }
        if hours > 0 { return "\(hours)h \(minutes)m \(rest)s" }
        if minutes > 0 { return "\(minutes)m \(rest)s" }
        return "\(rest)s"
    }

    static func table(_ cells: [[String]]) -> [String] {
        guard let first = cells.first else { return [] }
        let widths = first.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { line in
            line.enumerated().map { column, cell in
                column == line.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}
