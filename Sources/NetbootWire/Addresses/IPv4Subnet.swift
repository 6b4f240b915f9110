/// An IPv4 network in CIDR notation, `10.0.0.0/24` (RFC 4632 §3.1): a network address and a
/// prefix length 0–32; the host bits of `network` are always zero. The one subnet type of the
/// code base: the configuration reads it (`dhcp.subnets[].subnet`, `tftp.client-classes[].network`),
/// the lease engine serves it, and interfaces report theirs.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let prefixLength: Int

    /// A subnet from any address in it and a length: the host bits of `network` are cleared
    /// (`10.0.0.7` and 24 give `10.0.0.0/24`). Nil unless `prefixLength` is in 0...32.
    public init?(network: IPv4Address, prefixLength: Int) {
        guard (0...32).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        self.network = IPv4Address(rawValue: network.rawValue & IPv4Subnet.mask(prefixLength))
    }

    /// Parses `a.b.c.d/n` strictly: nil for anything else, and for an address with host bits
    /// set (`10.0.0.5/24`) — a written subnet must mean what it looks like (the configuration
    /// reports such a value with the network it probably meant).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
              parts[1].count <= 2, parts[1].allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let length = Int(parts[1]), let subnet = IPv4Subnet(network: address, prefixLength: length),
              subnet.network == address else { return nil }
        self = subnet
    }

    /// The subnet mask as an address (`255.255.255.0` for /24; DHCP option 1).
    public var mask: IPv4Address { IPv4Address(rawValue: IPv4Subnet.mask(prefixLength)) }

    /// The last address of the network: the directed broadcast address for lengths below 31
    /// (DHCP option 28).
    public var broadcast: IPv4Address { IPv4Address(rawValue: network.rawValue | ~IPv4Subnet.mask(prefixLength)) }

    public func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & IPv4Subnet.mask(prefixLength) == network.rawValue
    }

    /// Whether the two networks share at least one address.
    public func overlaps(_ other: IPv4Subnet) -> Bool {
        contains(other.network) || other.contains(network)
    }

    public var description: String { "\(network)/\(prefixLength)" }

    static func mask(_ length: Int) -> UInt32 {
        length <= 0 ? 0 : UInt32.max << UInt32(32 - min(length, 32))
    }
}
