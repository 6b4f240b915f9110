import NetbootWire

/// An IPv4 network in CIDR form (RFC 4632 §3.1), such as `10.0.0.0/24`.
///
/// The network address is normalised: host bits given in the text are cleared, so that
/// `10.0.0.7/24` and `10.0.0.0/24` are the same subnet.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let prefixLength: Int

    /// nil unless `prefixLength` is in 0...32.
    public init?(network: IPv4Address, prefixLength: Int) {
        guard (0...32).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        self.network = IPv4Address(rawValue: network.rawValue & IPv4Subnet.mask(prefixLength))
    }

    /// From `a.b.c.d/n`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
              parts[1].count <= 2, parts[1].allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let length = Int(parts[1]) else { return nil }
        self.init(network: address, prefixLength: length)
    }

    private static func mask(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }

    /// The subnet mask (DHCP option 1).
    public var mask: IPv4Address { IPv4Address(rawValue: IPv4Subnet.mask(prefixLength)) }

    /// The directed broadcast address (option 28).
    public var broadcast: IPv4Address { IPv4Address(rawValue: network.rawValue | ~IPv4Subnet.mask(prefixLength)) }

    public func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & IPv4Subnet.mask(prefixLength) == network.rawValue
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
