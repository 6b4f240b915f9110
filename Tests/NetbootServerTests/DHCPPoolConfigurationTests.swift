import BootServices
import NetbootConfig
import NetbootWire
import Testing
@testable import NetbootServer

@Suite struct DHCPPoolConfigurationTests {
    @Test func configSectionMapsOntoTheEngine() throws {
        var dhcp = NetbootConfiguration.DHCP()
        dhcp.mode = .authoritative
        let prefix = try #require(IPv4Subnet("10.0.0.0/24"))
        dhcp.subnets = [NetbootConfiguration.DHCP.Subnet(
            subnet: prefix, range: IPv4Address(10, 0, 0, 100)...IPv4Address(10, 0, 0, 199),
            router: IPv4Address(10, 0, 0, 1), dns: [IPv4Address(10, 0, 0, 1)], domain: "lab.example", leaseTime: 7200)]
        let mac = try #require(MACAddress("52:54:00:12:34:56"))
        dhcp.reservations = [.init(mac: mac, address: IPv4Address(10, 0, 0, 50), hostname: "mac-01")]
        let pool = DHCPPoolConfiguration(dhcp)
        #expect(pool.subnets == [DHCPSubnetConfiguration(
            subnet: prefix, range: IPv4Address(10, 0, 0, 100)...IPv4Address(10, 0, 0, 199),
            router: IPv4Address(10, 0, 0, 1), dns: [IPv4Address(10, 0, 0, 1)], domain: "lab.example", leaseTime: 7200)])
        #expect(pool.reservations == [DHCPReservation(mac: mac, address: IPv4Address(10, 0, 0, 50), hostname: "mac-01")])
        #expect(pool.problems().isEmpty)
    }
}
