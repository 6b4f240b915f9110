import NetbootWire
import Testing
@testable import BootServices

/// RFC 2131 §4.1 reply addressing, one rule per test.
@Suite struct DHCPReplyDestinationTests {
    let mac = MACAddress(rawValue: 0x5254_0012_3456)
    let yiaddr = IPv4Address(10, 0, 0, 100)

    @Test func relayedRepliesGoToGiaddrPort67() {
        let destination = DHCPReplyDestination.forReply(
            giaddr: IPv4Address(10, 1, 0, 1), ciaddr: IPv4Address(10, 1, 0, 50), yiaddr: yiaddr,
            broadcastFlag: true, chaddr: mac, isNAK: false)
        #expect(destination == .relay(IPv4Address(10, 1, 0, 1)))
        #expect(destination.port == 67)
    }

    @Test func relayedNAKsGoToGiaddrToo() {
        let destination = DHCPReplyDestination.forReply(
            giaddr: IPv4Address(10, 1, 0, 1), ciaddr: .any, yiaddr: .any, broadcastFlag: false, chaddr: mac, isNAK: true)
        #expect(destination == .relay(IPv4Address(10, 1, 0, 1)))
    }

    @Test func ciaddrGetsUnicastPort68() {
        let destination = DHCPReplyDestination.forReply(
            giaddr: .any, ciaddr: IPv4Address(10, 0, 0, 7), yiaddr: IPv4Address(10, 0, 0, 7),
            broadcastFlag: true, chaddr: mac, isNAK: false)
        #expect(destination == .unicast(IPv4Address(10, 0, 0, 7)))
        #expect(destination.port == 68)
        #expect(destination.address == IPv4Address(10, 0, 0, 7))
    }

    @Test func nakWithCiaddrIsBroadcast() {
        let destination = DHCPReplyDestination.forReply(
            giaddr: .any, ciaddr: IPv4Address(10, 0, 0, 7), yiaddr: .any, broadcastFlag: false, chaddr: mac, isNAK: true)
        #expect(destination == .broadcast)
        #expect(destination.address == .broadcast)
        #expect(destination.port == 68)
    }

    @Test func broadcastFlagIsBroadcast() {
        let destination = DHCPReplyDestination.forReply(
            giaddr: .any, ciaddr: .any, yiaddr: yiaddr, broadcastFlag: true, chaddr: mac, isNAK: false)
        #expect(destination == .broadcast)
    }

    @Test func otherwiseLinkLayerUnicastToChaddrAndYiaddr() {
        let destination = DHCPReplyDestination.forReply(
            giaddr: .any, ciaddr: .any, yiaddr: yiaddr, broadcastFlag: false, chaddr: mac, isNAK: false)
        #expect(destination == .linkLayer(mac: mac, address: yiaddr))
        #expect(destination.address == yiaddr)
        #expect(destination.port == 68)
    }

    @Test func noEthernetChaddrOrNoYiaddrFallsBackToBroadcast() {
        #expect(DHCPReplyDestination.forReply(giaddr: .any, ciaddr: .any, yiaddr: yiaddr, broadcastFlag: false,
                                              chaddr: nil, isNAK: false) == .broadcast)
        #expect(DHCPReplyDestination.forReply(giaddr: .any, ciaddr: .any, yiaddr: .any, broadcastFlag: false,
                                              chaddr: mac, isNAK: false) == .broadcast)
    }
}
