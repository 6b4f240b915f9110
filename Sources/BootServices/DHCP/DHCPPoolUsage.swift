import Foundation
import NetbootWire

/// How full one subnet's dynamic range is (Kea's `total-addresses`, `assigned-addresses`,
/// `declined-addresses` statistics): addresses of the range, those bound to a client, those
/// declined and not yet back, and the rest. Reservations outside the range are not counted.
public struct DHCPPoolUsage: Hashable, Sendable {
    public var subnet: IPv4Subnet
    public var total: Int
    public var assigned: Int
    public var declined: Int

    public init(subnet: IPv4Subnet, total: Int, assigned: Int, declined: Int) {
        self.subnet = subnet
        self.total = total
        self.assigned = assigned
        self.declined = declined
    }

    /// Addresses neither assigned nor declined (offers in flight count as free).
    public var free: Int { max(0, total - assigned - declined) }
}

extension DHCPLeaseEngine {
    /// Usage of every subnet's range at `now`, in configuration order. O(subnets + leases).
    public func poolUsage(now: Date) -> [DHCPPoolUsage] {
        var usage = configuration.subnets.map { DHCPPoolUsage(subnet: $0.subnet, total: $0.poolSize, assigned: 0, declined: 0) }
        for record in table.records.values where record.isActive(at: now) {
            guard let index = configuration.subnets.firstIndex(where: { $0.range?.contains(record.address) == true }) else {
                continue
            }
            switch record.state {
            case .bound: usage[index].assigned += 1
            case .declined: usage[index].declined += 1
            case .released: break
            }
        }
        return usage
    }
}
