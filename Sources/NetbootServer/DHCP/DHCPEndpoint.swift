import BootServices
import NetbootConfig
import NetbootWire

/// One interface the DHCP service listens on: its name, IPv4 address and subnet, hardware
/// address (source of link-layer replies) and the server identifier it answers with.
public struct DHCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var address: IPv4Address
    public var subnet: IPv4Subnet
    public var hardwareAddress: MACAddress?
    public var serverIdentifier: IPv4Address

    public init(name: String, address: IPv4Address, subnet: IPv4Subnet, hardwareAddress: MACAddress?,
                serverIdentifier: IPv4Address) {
        self.name = name
        self.address = address
        self.subnet = subnet
        self.hardwareAddress = hardwareAddress
        self.serverIdentifier = serverIdentifier
    }

    public var description: String { "\(name) \(address)/\(subnet.prefixLength) (server id \(serverIdentifier))" }

    /// The endpoints for the configured interfaces (all up, non-loopback IPv4 interfaces when
    /// none are named); interfaces without IPv4 and unknown names come back as problems.
    public static func resolve(_ configuration: NetbootConfiguration,
                               interfaces all: [NetworkInterface] = NetworkInterface.all()) -> (endpoints: [DHCPEndpoint], problems: [String]) {
        let (selected, missing) = NetworkInterface.select(names: configuration.interfaces, from: all)
        var problems = missing.map { "interface \($0) does not exist" }
        var endpoints: [DHCPEndpoint] = []
        for interface in selected {
            guard let ipv4 = interface.ipv4.first,
                  let subnet = IPv4Subnet(network: ipv4.address, prefixLength: ipv4.prefixLength) else {
                problems.append("interface \(interface.name) has no IPv4 address")
                continue
            }
            let serverID: IPv4Address = switch configuration.serverAddress {
            case .auto: ipv4.address
            case .fixed(let address): address
            }
            endpoints.append(DHCPEndpoint(name: interface.name, address: ipv4.address, subnet: subnet,
                                          hardwareAddress: interface.hardwareAddress, serverIdentifier: serverID))
        }
        return (endpoints, problems)
    }
}

extension PXEResponder.Configuration {
    /// From the `pxe:` section.
    public init(_ pxe: NetbootConfiguration.PXE) {
        self.init(bios: pxe.bios, uefiX64: pxe.uefiX64, uefiArm64: pxe.uefiArm64,
                  httpBootURL: pxe.httpBootURL, ipxeScriptURL: pxe.ipxeScriptURL)
    }
}
