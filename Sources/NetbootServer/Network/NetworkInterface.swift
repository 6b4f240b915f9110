#if canImport(Glibc)
import Glibc
#endif
import CLinuxPacket
import NetbootWire

/// An IPv4-capable network interface of this host, as `getifaddrs(3)` reports it: the facts the
/// DHCP/BSDP service needs to answer on it (its index for `IP_PKTINFO` and `AF_PACKET`, its
/// hardware address as the Ethernet source of raw sends, and its IPv4 address as the server
/// identifier, RFC 2131 §4.3.1 and BSDP §1.6).
public struct NetworkInterface: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var index: Int
    public var hardwareAddress: MACAddress?
    /// IPv4 addresses with their prefix lengths, in the order the kernel lists them.
    public var ipv4: [IPv4Interface]
    public var isUp: Bool
    public var isLoopback: Bool

    public struct IPv4Interface: Hashable, Sendable {
        public var address: IPv4Address
        public var prefixLength: Int

        public init(address: IPv4Address, prefixLength: Int) {
            self.address = address
            self.prefixLength = prefixLength
        }

        public var netmask: IPv4Address {
            IPv4Address(rawValue: prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength))
        }

        /// Whether `other` lies on this address's subnet.
        public func contains(_ other: IPv4Address) -> Bool {
            other.rawValue & netmask.rawValue == address.rawValue & netmask.rawValue
        }
    }

    /// The first IPv4 address, used as the server identifier when none is configured.
    public var primaryIPv4: IPv4Address? { ipv4.first?.address }

    public var description: String {
        let addresses = ipv4.map { "\($0.address)/\($0.prefixLength)" }.joined(separator: ",")
        return "\(name)#\(index) \(hardwareAddress.map(String.init(describing:)) ?? "-") [\(addresses)]"
    }

    /// Every interface of the host. Interfaces without an IPv4 address are included (a DHCP
    /// server may still answer on them once configured); callers filter.
    public static func all() -> [NetworkInterface] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }

        var byName: [String: NetworkInterface] = [:]
        var order: [String] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let cName = entry.pointee.ifa_name else { continue }
            let name = String(cString: cName)
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            if byName[name] == nil {
                byName[name] = NetworkInterface(
                    name: name, index: Int(if_nametoindex(cName)), hardwareAddress: nil, ipv4: [],
                    isUp: flags & Int32(IFF_UP) != 0,
                    isLoopback: flags & Int32(IFF_LOOPBACK) != 0)
                order.append(name)
            }
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    IPv4Address(rawValue: UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
                }
                var prefix = 32
                if let mask = entry.pointee.ifa_netmask {
                    let bits = mask.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
                    }
                    prefix = bits.nonzeroBitCount
                }
                byName[name]?.ipv4.append(IPv4Interface(address: ip, prefixLength: prefix))
            case AF_PACKET:
                let mac: MACAddress? = address.withMemoryRebound(to: sockaddr_ll.self, capacity: 1) { link in
                    guard link.pointee.sll_halen == 6 else { return nil }
                    return withUnsafeBytes(of: link.pointee.sll_addr) { MACAddress(bytes: $0.prefix(6)) }
                }
                byName[name]?.hardwareAddress = mac
            default:
                continue
            }
        }
        return order.compactMap { byName[$0] }
    }

    /// The interfaces to serve on: the named ones (in that order), or, when `names` is empty,
    /// every non-loopback interface that is up and has an IPv4 address. Unknown names are
    /// returned in `missing` so the caller can report them.
    public static func select(names: [String], from all: [NetworkInterface] = NetworkInterface.all())
        -> (selected: [NetworkInterface], missing: [String])
    {
        if names.isEmpty {
            return (all.filter { $0.isUp && !$0.isLoopback && !$0.ipv4.isEmpty }, [])
        }
        var selected: [NetworkInterface] = []
        var missing: [String] = []
        for name in names {
            if let match = all.first(where: { $0.name == name }) { selected.append(match) } else { missing.append(name) }
        }
        return (selected, missing)
    }
}
