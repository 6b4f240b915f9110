import NetbootConfig
import NetbootWire
import Testing
@testable import BootServices
@testable import NetbootServer

/// Which interfaces the DHCP service listens on and with which server identifier.
@Suite struct DHCPEndpointTests {
    let interfaces = [
        NetworkInterface(name: "lo", index: 1, hardwareAddress: nil,
                         ipv4: [.init(address: IPv4Address(127, 0, 0, 1), prefixLength: 8)], isUp: true, isLoopback: true),
        NetworkInterface(name: "eth0", index: 2, hardwareAddress: MACAddress("52:54:00:00:00:01"),
                         ipv4: [.init(address: IPv4Address(10, 0, 0, 2), prefixLength: 24)], isUp: true, isLoopback: false),
        NetworkInterface(name: "eth1", index: 3, hardwareAddress: MACAddress("52:54:00:00:00:02"),
                         ipv4: [], isUp: true, isLoopback: false),
    ]

    @Test func everyUpNonLoopbackIPv4InterfaceByDefault() {
        let (endpoints, problems) = DHCPEndpoint.resolve(NetbootConfiguration(), interfaces: interfaces)
        #expect(endpoints.map(\.name) == ["eth0"])
        #expect(endpoints.first?.serverIdentifier == IPv4Address(10, 0, 0, 2))
        #expect(endpoints.first?.subnet == IPv4Subnet("10.0.0.0/24"))
        #expect(problems.isEmpty)
    }

    @Test func namedInterfacesFixedServerAddressAndProblems() {
        var configuration = NetbootConfiguration()
        configuration.interfaces = ["eth0", "eth1", "eth9"]
        configuration.serverAddress = .fixed(IPv4Address(10, 0, 0, 250))
        let (endpoints, problems) = DHCPEndpoint.resolve(configuration, interfaces: interfaces)
        #expect(endpoints.map(\.serverIdentifier) == [IPv4Address(10, 0, 0, 250)])
        #expect(problems == ["interface eth9 does not exist", "interface eth1 has no IPv4 address"])
    }

    @Test func bsdpPathsFollowTheTFTPAndHTTPRoots() {
        var configuration = NetbootConfiguration()
        configuration.imagesDir = "srv/images"
        configuration.tftp.root = "srv"
        configuration.http.root = "srv/images/"
        let bsdp = DHCPService.bsdpConfiguration(configuration)
        #expect(bsdp.tftpPathPrefix == "images/")
        #expect(bsdp.httpBasePath == "")
        #expect(DHCPService.relative("/a/b", under: "/c") == nil)
    }
}
