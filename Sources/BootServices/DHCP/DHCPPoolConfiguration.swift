import Foundation
import NetbootWire

/// One served subnet of `mode: authoritative` (`dhcp.subnets[]` in the config).
public struct DHCPSubnetConfiguration: Hashable, Sendable {
    public var subnet: IPv4Subnet
    /// The dynamic pool, inclusive at both ends; nil: reservations only.
    public var range: ClosedRange<IPv4Address>?
    /// Option 3.
    public var router: IPv4Address?
    /// Option 6.
    public var dns: [IPv4Address]
    /// Option 15.
    public var domain: String?
    /// Option 51, in seconds: the longest lease granted; a client may ask for less.
    public var leaseTime: UInt32
    /// `option-data` of the subnet (between host and class in precedence).
    public var options: [DHCPOptionData]
    /// When set, the dynamic range is only for members of this class (Kea's subnet/pool
    /// `client-class`); reservations are served whatever the class.
    public var clientClass: String?

    public init(subnet: IPv4Subnet, range: ClosedRange<IPv4Address>?, router: IPv4Address? = nil,
                dns: [IPv4Address] = [], domain: String? = nil, leaseTime: UInt32 = 3600,
                options: [DHCPOptionData] = [], clientClass: String? = nil) {
        self.subnet = subnet
        self.range = range
        self.router = router
        self.dns = dns
        self.domain = domain
        self.leaseTime = leaseTime
        self.options = options
        self.clientClass = clientClass
    }

    /// True when the dynamic range may serve a client in `classes`.
    public func admitsToRange(_ classes: [String]) -> Bool {
        clientClass.map(classes.contains) ?? true
    }

    /// The number of addresses in `range` (0 without one).
    public var poolSize: Int {
        guard let range else { return 0 }
        return Int(range.upperBound.rawValue - range.lowerBound.rawValue) + 1
    }
}

/// A fixed address for one MAC (`dhcp.reservations[]`), like dnsmasq's `--dhcp-host=MAC,IP,name`
/// and Kea's `reservations`. The address may lie inside or outside the dynamic range; it is never
/// offered to any other client.
public struct DHCPReservation: Hashable, Sendable {
    public var mac: MACAddress
    public var address: IPv4Address
    /// Returned as option 12.
    public var hostname: String?

    public init(mac: MACAddress, address: IPv4Address, hostname: String? = nil) {
        self.mac = mac
        self.address = address
        self.hostname = hostname
    }
}

/// Everything the lease engine needs to know about `mode: authoritative`.
public struct DHCPPoolConfiguration: Hashable, Sendable {
    public var subnets: [DHCPSubnetConfiguration]
    public var reservations: [DHCPReservation]
    /// How long an OFFERed address is held for its client before it may be offered to another
    /// (RFC 2131 §4.3.1: the server "need not reserve the offered address" but SHOULD avoid
    /// offering it twice; ISC dhcpd and Kea hold it while waiting for the REQUEST).
    public var offerHoldTime: TimeInterval
    /// How long a DECLINEd address stays out of the pool (RFC 2131 §4.3.3: "mark the network
    /// address as not available"; Kea's `decline-probation-period`).
    public var declineHoldTime: TimeInterval
    /// The shortest lease granted when a client asks for less (option 51 in a request).
    public var minimumLeaseTime: UInt32
    /// Global `option-data` (the least specific level).
    public var options: [DHCPOptionData]
    /// Client classes and per-host settings (options, classes, boot settings by MAC).
    public var classifier: DHCPClientClassifier

    public init(subnets: [DHCPSubnetConfiguration], reservations: [DHCPReservation] = [],
                offerHoldTime: TimeInterval = 30, declineHoldTime: TimeInterval = 3600,
                minimumLeaseTime: UInt32 = 60, options: [DHCPOptionData] = [],
                classifier: DHCPClientClassifier = DHCPClientClassifier()) {
        self.subnets = subnets
        self.reservations = reservations
        self.offerHoldTime = offerHoldTime
        self.declineHoldTime = declineHoldTime
        self.minimumLeaseTime = minimumLeaseTime
        self.options = options
        self.classifier = classifier
    }

    /// Problems that make the configuration unusable or surprising, one sentence each; empty when
    /// it is sound. The config loader turns these into located diagnostics.
    public func problems() -> [String] {
        var problems: [String] = []
        for (index, subnet) in subnets.enumerated() {
            let name = "subnet \(subnet.subnet)"
            if let range = subnet.range,
               !subnet.subnet.contains(range.lowerBound) || !subnet.subnet.contains(range.upperBound) {
                problems.append("\(name): range \(range.lowerBound)–\(range.upperBound) is not inside the subnet")
            }
            if let router = subnet.router, !subnet.subnet.contains(router) {
                problems.append("\(name): router \(router) is not inside the subnet")
            }
            if subnet.leaseTime == 0 {
                problems.append("\(name): lease-time must be at least 1 second")
            }
            for other in subnets[(index + 1)...] where other.subnet.contains(subnet.subnet.network)
                || subnet.subnet.contains(other.subnet.network) {
                problems.append("\(name) overlaps subnet \(other.subnet)")
            }
        }
        var byMAC: [MACAddress: IPv4Address] = [:]
        var byAddress: [IPv4Address: MACAddress] = [:]
        for reservation in reservations {
            if let address = byMAC[reservation.mac] {
                problems.append("reservation \(reservation.mac): MAC already reserved \(address)")
            }
            if let mac = byAddress[reservation.address] {
                problems.append("reservation \(reservation.mac): address \(reservation.address) already reserved for \(mac)")
            }
            if !subnets.contains(where: { $0.subnet.contains(reservation.address) }) {
                problems.append("reservation \(reservation.mac): address \(reservation.address) is in no configured subnet")
            }
            byMAC[reservation.mac] = reservation.address
            byAddress[reservation.address] = reservation.mac
        }
        return problems
    }
}
