import ArgumentParser
import BridgeCore
import Foundation
import NetbootStore
import ProxyBridge

/// `netboot devices list|show`: the machines enrolled through the bridge (docs/bridge.md).
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Show the machines enrolled through the proxy bridge.",
        discussion: HelpText.discussion(
            examples: [("netboot devices list", "every enrolled machine"), ("netboot devices show 52:54:00:12:34:56", "one machine and its tokens")],
            exitCodes: [(0, "done"), (1, "\(HelpText.configurationError), or the bridge's records (bridge.sqlite, or the PostgreSQL store) cannot be read")]),
        subcommands: [DevicesListCommand.self, DevicesShowCommand.self, DevicesEscrowCommand.self]
    )
}

struct DevicesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List devices: MAC, host name, model, serial, last seen.",
        discussion: HelpText.discussion(
            examples: [("netboot devices list --json", "as JSON"), ("netboot devices list --state-dir /srv/netboot", "another state directory")],
            exitCodes: [(0, "listed (also when there are none)"), (1, "\(HelpText.configurationError), or the bridge's records (bridge.sqlite, or the PostgreSQL store) cannot be read")]))

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var state: BridgeStateOption

    func run() throws {
        let devices = try state.records(write: false)?.devices() ?? []
        if json {
            print(try CLIJSON.string(["devices": devices]))
        } else {
            print(CLITable.render(["MAC", "HOSTNAME", "MODEL", "SERIAL", "OS", "REPORTS", "LAST-SEEN"], devices.map {
                [$0.mac, $0.hostname ?? "-", $0.model ?? "-", $0.serial ?? "-", $0.osVersion ?? "-", "\($0.reportCount)",
                 $0.lastSeen.formatted(.iso8601)]
            }))
        }
    }
}

struct DevicesShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One device's record and its latest reports.",
        discussion: HelpText.discussion(
            examples: [("netboot devices show 52:54:00:12:34:56 --json", "the record and its tokens as JSON")],
            exitCodes: [(0, "shown"), (1, "\(HelpText.configurationError), or the bridge's records (bridge.sqlite, or the PostgreSQL store) cannot be read"), (64, "not a MAC address, or no device enrolled with it")]))

    @Argument(help: "The device's MAC address.") var mac: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var state: BridgeStateOption

    func validate() throws {
        guard MACText.normalized(mac) != nil else { throw ValidationError("\(mac) is not a MAC address (aa:bb:cc:dd:ee:ff)") }
    }

    func run() throws {
        guard let key = MACText.normalized(mac), let store = try state.records(write: false),
              let device = try store.device(mac: key) else {
            throw ValidationError("no enrolled device \(mac)")
        }
        let tokens = try store.tokens().filter { $0.deviceMAC == key }.map { TokenListing(record: $0, now: Date()) }
        if json {
            print(try CLIJSON.string(DeviceShow(device: device, tokens: tokens)))
        } else {
            let fields: [(String, String)] = [
                ("mac", device.mac), ("hostname", device.hostname ?? "-"), ("model", device.model ?? "-"),
                ("serial", device.serial ?? "-"), ("os-version", device.osVersion ?? "-"),
                ("enrolled", device.enrolledAt.formatted(.iso8601)), ("updated", device.updatedAt.formatted(.iso8601)),
                ("last-seen", device.lastSeen.formatted(.iso8601)), ("reports", "\(device.reportCount)"),
                ("last-sequence", "\(device.lastSequence)"),
                ("client-tokens", tokens.map { "\($0.id) (\($0.state))" }.joined(separator: ", ")),
            ]
            for (name, value) in fields { print("\(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(LeaseRow.printable(value))") }
        }
    }

    struct DeviceShow: Encodable {
        var device: DeviceRecord
        var tokens: [TokenListing]
    }
}
