import NetbootWire

/// Where a server reply goes: RFC 2131 §4.1, "the famous rule", with the relay case of
/// RFC 1542 §4.1.
public enum DHCPReplyDestination: Hashable, Sendable, CustomStringConvertible {
    /// To the relay agent at `giaddr`, port 67 (the relay forwards it to the client).
    case relay(IPv4Address)
    /// IP unicast to the client's configured address (`ciaddr`), port 68.
    case unicast(IPv4Address)
    /// To 255.255.255.255, port 68.
    case broadcast
    /// To a client that has no address yet: an IP datagram for `address` in an Ethernet frame for
    /// `mac`, sent through the raw link-layer sender (the client cannot answer ARP yet).
    case linkLayer(mac: MACAddress, address: IPv4Address)

    public static let serverPort: UInt16 = 67
    public static let clientPort: UInt16 = 68

    /// The IP destination address of the datagram.
    public var address: IPv4Address {
        switch self {
        case .relay(let address), .unicast(let address): address
        case .broadcast: .broadcast
        case .linkLayer(_, let address): address
        }
    }

    /// The UDP destination port.
    public var port: UInt16 {
        if case .relay = self { return Self.serverPort }
        return Self.clientPort
    }

    public var description: String {
        switch self {
        case .relay(let address): "relay \(address):67"
        case .unicast(let address): "unicast \(address):68"
        case .broadcast: "broadcast 255.255.255.255:68"
        case .linkLayer(let mac, let address): "link-layer \(mac) \(address):68"
        }
    }

    /// RFC 2131 §4.1, in order:
    /// - `giaddr` ≠ 0: to the relay at `giaddr`:67 (NAKs too; the server sets the broadcast bit so
    ///   the relay broadcasts them);
    /// - else `ciaddr` ≠ 0 and not a NAK: unicast to `ciaddr`:68;
    /// - else a NAK, the broadcast bit, no `yiaddr`, or a `chaddr` that is not Ethernet (`mac` nil):
    ///   broadcast to 255.255.255.255:68;
    /// - else link-layer unicast to `chaddr` with IP destination `yiaddr`.
    public static func forReply(giaddr: IPv4Address, ciaddr: IPv4Address, yiaddr: IPv4Address,
                                broadcastFlag: Bool, chaddr mac: MACAddress?, isNAK: Bool) -> DHCPReplyDestination {
        if !giaddr.isUnspecified { return .relay(giaddr) }
        if !ciaddr.isUnspecified && !isNAK { return .unicast(ciaddr) }
        guard !isNAK, !broadcastFlag, !yiaddr.isUnspecified, let mac else { return .broadcast }
        return .linkLayer(mac: mac, address: yiaddr)
    }
}
