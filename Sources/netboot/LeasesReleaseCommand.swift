import ArgumentParser
import ControlProtocol
import Foundation
import NetbootServer
import NetbootWire

/// `netboot leases release MAC|ADDRESS`: the running server marks the lease records of a client
/// (by MAC) or of one address released — committed to the store, then freed in the lease
/// engine — through the control socket. Exit 3 when `netboot serve` is not running.
struct LeasesReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release a client's leases (by MAC) or one address's lease in the running server.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot leases release 02:00:5e:10:00:02", "every lease that client holds"),
                ("netboot leases release 198.51.100.120 --json", "one address, the result as JSON"),
            ],
            exitCodes: ControlConnection.exitCodes(done: "released", failed: "no such lease held, DHCP is not authoritative, or another error (the message says which)"))
    )

    @Argument(help: "A MAC address (aa:bb:cc:dd:ee:ff) or an IPv4 address.")
    var lease: String

    @Option(name: .long, help: "The state directory holding netboot.sock (default: the configuration's state-dir).")
    var stateDir: String?

    @OptionGroup var config: ConfigurationOption

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        _ = try selector()
    }

    func selector() throws -> ControlRequest.LeaseSelector {
        if let mac = MACAddress(lease) { return .mac(mac) }
        if let address = IPv4Address(lease) { return .address(address) }
        throw ValidationError("'\(lease)' is neither a MAC address (aa:bb:cc:dd:ee:ff) nor an IPv4 address")
    }

    func run() throws {
        let reply: ControlReply
        do {
            reply = try ControlConnection.send(.leasesRelease(try selector()),
                                               stateDir: stateDir ?? ControlConnection.stateDir(config: config.config))
        } catch let failure as ControlClient.Failure {
            throw ControlConnection.exit(for: failure)
        }
        switch reply.outcome {
        case .released(let result):
            if json {
                print(try ControlConnection.json(result))
            } else {
                for entry in result.released { print("released \(entry.address) (\(entry.mac))") }
            }
        case .error(let error):
            throw ControlConnection.exit(for: error)
        default:
            throw ControlConnection.exit(for: ControlError(.failed, "unexpected reply to leases.release"))
        }
    }
}

extension LeaseRow {
    /// A row from the running server's record (`leases.list` through the control socket).
    init(entry: LeaseEntry) {
        address = entry.address.description
        mac = entry.mac.description
        clientID = entry.clientID
        hostname = entry.hostname
        state = entry.state
        expires = entry.expires
    }
}

/// `leases list` asks the running server first: its lease engine is what answers clients.
enum LeasesFromServer {
    /// The running server's leases, or nil when none answers (then the store is read).
    static func rows(stateDir: String) -> [LeaseRow]? {
        guard let reply = try? ControlConnection.send(.leasesList, stateDir: stateDir, timeout: 10),
              case .leases(let listing) = reply.outcome else { return nil }
        if listing.mode != "authoritative" {
            ControlConnection.report("netboot: the running server assigns no addresses (dhcp: \(listing.mode))")
        }
        return listing.leases.map(LeaseRow.init(entry:))
    }
}
