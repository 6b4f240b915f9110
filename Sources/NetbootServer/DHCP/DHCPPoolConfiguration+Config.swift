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
                                        domain: subnet.domain, leaseTime: UInt32(clamping: subnet.leaseTime),
                                        options: subnet.optionData, clientClass: subnet.clientClass)
            },
            reservations: dhcp.reservations.compactMap { reservation in
                reservation.address.map { DHCPReservation(mac: reservation.mac, address: $0, hostname: reservation.hostname) }
            },
            options: dhcp.optionData,
            classifier: DHCPClientClassifier(dhcp))
    }
}

extension DHCPClientClassifier {
    /// The classes and the reservations' host settings of the `dhcp:` section.
    public init(_ dhcp: NetbootConfiguration.DHCP) {
        var hosts: [MACAddress: DHCPHostSettings] = [:]
        for reservation in dhcp.reservations where hosts[reservation.mac] == nil {
            let settings = DHCPHostSettings(classes: reservation.clientClasses, options: reservation.optionData,
                                            boot: DHCPBootSettings(reservation.boot))
            if settings != DHCPHostSettings() { hosts[reservation.mac] = settings }
        }
        self.init(classes: dhcp.clientClasses.map { c in
            DHCPClientClass(name: c.name, match: DHCPClientClass.Match(
                vendorClassPrefixes: c.match.vendorClass, userClasses: c.match.userClass,
                architectures: c.match.architecture, macPrefixes: c.match.macPrefix, circuitIDs: c.match.circuitID,
                remoteIDs: c.match.remoteID, interfaces: c.match.interface),
                            options: c.optionData, boot: DHCPBootSettings(c.boot))
        }, hosts: hosts)
    }
}

extension DHCPBootSettings {
    public init(_ boot: NetbootConfiguration.DHCP.BootSettings) {
        self.init(bootFile: boot.bootFile, nextServer: boot.nextServer, ipxeScript: boot.ipxeScript, bsdpImages: boot.bsdpImages)
    }
}
