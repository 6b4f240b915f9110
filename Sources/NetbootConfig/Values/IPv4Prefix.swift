import NetbootWire

/// An IPv4 network written in CIDR notation, `10.0.0.0/24` (RFC 4632 §3.1): a network address
/// and a prefix length 0–32. The host bits of `network` are always zero.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let length: Int

    /// A prefix from an address and a length; the host bits of `address` are cleared.
    /// Nil when `length` is outside 0–32.
    public init?(_ address: IPv4Address, length: Int) {
        guard (0...32).contains(length) else { return nil }
        self.length = length
        self.network = IPv4Address(rawValue: address.rawValue & IPv4Prefix.mask(length))
    }

    /// Parses `a.b.c.d/n`. Nil for anything else, and for an address with host bits set
    /// (`10.0.0.5/24`): a config value must mean what it looks like.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
              parts[1].count <= 2, parts[1].allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let length = Int(parts[1]), let prefix = IPv4Prefix(address, length: length),
              prefix.network == address else { return nil }
        self = prefix
    }

    /// The netmask as an address (`255.255.255.0` for /24).
    public var netmask: IPv4Address { IPv4Address(rawValue: IPv4Prefix.mask(length)) }

    /// The last address of the network (the directed broadcast address for length < 31).
    public var lastAddress: IPv4Address { IPv4Address(rawValue: network.rawValue | ~IPv4Prefix.mask(length)) }

    public func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & IPv4Prefix.mask(length) == network.rawValue
    }

    /// Whether the two networks share at least one address.
    public func overlaps(_ other: IPv4Prefix) -> Bool {
        contains(other.network) || other.contains(network)
    }

    public var description: String { "\(network)/\(length)" }

    static func mask(_ length: Int) -> UInt32 {
        length <= 0 ? 0 : UInt32.max << UInt32(32 - min(length, 32))
    }
}
