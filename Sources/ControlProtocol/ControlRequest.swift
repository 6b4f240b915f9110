import NetbootWire

/// One decoded request: its id (echoed in the reply) and the command with its arguments.
public struct ControlRequest: Hashable, Sendable {
    public var id: ControlRequestID?
    public var command: Command

    public init(id: ControlRequestID? = nil, command: Command) {
        self.id = id
        self.command = command
    }

    /// A command with its checked arguments.
    public enum Command: Hashable, Sendable {
        case status
        case imagesList
        case imagesRescan
        case leasesList
        case leasesRelease(LeaseSelector)
        case captureDump
        case configReload

        /// The wire name (`"leases.release"`, …).
        public var name: ControlCommand {
            switch self {
            case .status: .status
            case .imagesList: .imagesList
            case .imagesRescan: .imagesRescan
            case .leasesList: .leasesList
            case .leasesRelease: .leasesRelease
            case .captureDump: .captureDump
            case .configReload: .configReload
            }
        }
    }

    /// Which lease records `leases.release` frees: every held record of a client, or one address.
    public enum LeaseSelector: Hashable, Sendable {
        case mac(MACAddress)
        case address(IPv4Address)
    }

    /// The request as one line for the socket: `{"arguments":…,"command":…,"id":…,"version":1}\n`.
    public func encoded() -> [UInt8] {
        var fields: [String] = []
        switch command {
        case .leasesRelease(.mac(let mac)): fields.append("\"arguments\":{\"mac\":\"\(mac)\"}")
        case .leasesRelease(.address(let address)): fields.append("\"arguments\":{\"address\":\"\(address)\"}")
        default: break
        }
        fields.append("\"command\":\"\(command.name.rawValue)\"")
        switch id {
        case .number(let number)?: fields.append("\"id\":\(number)")
        case .text(let text)?: fields.append("\"id\":\(ControlJSONValue.quoted(text))")
        case nil: break
        }
        fields.append("\"version\":\(ControlProtocol.version)")
        return Array(("{" + fields.joined(separator: ",") + "}\n").utf8)
    }
}
