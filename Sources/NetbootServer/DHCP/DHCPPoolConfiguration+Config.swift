import BootServices
import NetbootConfig
import NetbootWire

extension DHCPPoolConfiguration {
    /// The lease engine's view of the `dhcp:` section (docs/dhcp.md). The config reader has
    /// already checked ranges, overlaps and reservations and reported them at file:line:col.
    public init(_ dhcp: NetbootConfiguration.DHCP) {
        self.init(
            subnets: dhcp.subnets.map { subnet in
                DHCPSubnetConfiguration(subnet: subnet.subnet, range: subnet.range, router: subnet.router, dns: subnet.dns,
                                        domain: subnet.domain, leaseTime: UInt32(clamping: subnet.leaseTime))
            },
            reservations: dhcp.reservations.map {
                DHCPReservation(mac: $0.mac, address: $0.address, hostname: $0.hostname)
            })
    }
}
