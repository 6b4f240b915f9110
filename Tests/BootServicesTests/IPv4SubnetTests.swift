import NetbootWire
import Testing
@testable import BootServices

@Suite struct IPv4SubnetTests {
    @Test func parsesAndNormalises() throws {
        // Text must name the network itself; an address and a length are normalised.
        #expect(IPv4Subnet("10.0.0.7/24") == nil)
        let subnet = try #require(IPv4Subnet(network: IPv4Address(10, 0, 0, 7), prefixLength: 24))
        #expect(subnet == IPv4Subnet("10.0.0.0/24"))
        #expect(subnet.network == IPv4Address(10, 0, 0, 0))
        #expect(subnet.mask == IPv4Address(255, 255, 255, 0))
        #expect(subnet.broadcast == IPv4Address(10, 0, 0, 255))
        #expect(subnet.description == "10.0.0.0/24")
        #expect(subnet.contains(IPv4Address(10, 0, 0, 200)))
        #expect(!subnet.contains(IPv4Address(10, 0, 1, 1)))
    }

    @Test func edgesOfPrefixLength() throws {
        let all = try #require(IPv4Subnet("0.0.0.0/0"))
        #expect(all.contains(IPv4Address(203, 0, 113, 9)))
        #expect(all.mask == .any)
        let host = try #require(IPv4Subnet("10.0.0.1/32"))
        #expect(host.contains(IPv4Address(10, 0, 0, 1)))
        #expect(!host.contains(IPv4Address(10, 0, 0, 2)))
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0/24", "10.0.0.0/24/1", "10.0.0.0/0x8"])
    func rejects(_ text: String) {
        #expect(IPv4Subnet(text) == nil)
    }

    @Test func clientIDPrefersOption61() {
        let mac = MACAddress(rawValue: 0x0011_2233_4455)
        #expect(DHCPClientID(clientIdentifier: nil, chaddr: mac).bytes == [1, 0, 0x11, 0x22, 0x33, 0x44, 0x55])
        #expect(DHCPClientID(clientIdentifier: [], chaddr: mac).bytes == [1, 0, 0x11, 0x22, 0x33, 0x44, 0x55])
        #expect(DHCPClientID(clientIdentifier: [0, 9, 9], chaddr: mac).bytes == [0, 9, 9])
        #expect(DHCPClientID(clientIdentifier: [0, 0xab], chaddr: mac).description == "00:ab")
    }
}
