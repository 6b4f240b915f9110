import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// INIT-REBOOT, RENEWING/REBINDING, DECLINE, RELEASE, INFORM and relays (RFC 2131 §4.3.2–§4.3.5).
@Suite struct DHCPLeaseEngineStateTests {
    let address100 = IPv4Address(10, 0, 0, 100)

    func boundEngine() -> DHCPLeaseEngine {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        _ = engine.dora(Lab.mac(1), now: Lab.t0)
        return engine
    }

    @Test func initRebootRightAddressIsAcked() throws {
        var engine = boundEngine()
        let decision = engine.handle(Lab.message(.request, Lab.mac(1), requested: address100), now: Lab.t0.addingTimeInterval(100))
        let reply = try #require(decision.reply)
        #expect(reply.messageType == .ack && reply.yiaddr == address100)
        #expect(decision.writes.first?.expires == Lab.t0.addingTimeInterval(3700))
    }

    @Test func initRebootWrongSubnetIsNaked() throws {
        var engine = boundEngine()
        let decision = engine.handle(Lab.message(.request, Lab.mac(1), requested: IPv4Address(192, 168, 1, 20)),
                                     now: Lab.t0)
        let reply = try #require(decision.reply)
        #expect(reply.messageType == .nak)
        #expect(reply.yiaddr == .any && reply.leaseTime == nil && reply.subnetMask == nil)
        #expect(reply.serverIdentifier == Lab.server)
        #expect(reply.destination == .broadcast)
        #expect(reply.message?.contains("not on this network") == true)
        #expect(decision.writes.isEmpty)
        // Even a client we never saw is told it is on the wrong network.
        #expect(engine.handle(Lab.message(.request, Lab.mac(7), requested: IPv4Address(192, 168, 1, 20)),
                              now: Lab.t0).reply?.messageType == .nak)
    }

    @Test func initRebootOfSomeoneElsesAddressIsNaked() throws {
        var engine = boundEngine()
        _ = engine.dora(Lab.mac(2), now: Lab.t0)
        let decision = engine.handle(Lab.message(.request, Lab.mac(2), requested: address100), now: Lab.t0)
        #expect(decision.reply?.messageType == .nak)
        #expect(engine.lease(at: address100)?.mac == Lab.mac(1))
    }

    @Test func initRebootFromUnknownClientIsSilent() {
        var engine = boundEngine()
        let decision = engine.handle(Lab.message(.request, Lab.mac(9), requested: IPv4Address(10, 0, 0, 104)), now: Lab.t0)
        #expect(decision.reply == nil)
        #expect(decision.reason == .unknownClient)
        #expect(decision.reason.label == "unknown_client")
    }

    @Test func initRebootOfAReservationIsAckedWithoutARecord() {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let decision = engine.handle(Lab.message(.request, Lab.reservedMAC, requested: Lab.reservedAddress), now: Lab.t0)
        #expect(decision.reply?.messageType == .ack)
        #expect(decision.reply?.hostname == "mac-01")
    }

    @Test func renewingExtendsAndUnicastsToCiaddr() throws {
        var engine = boundEngine()
        let later = Lab.t0.addingTimeInterval(1800)
        let decision = engine.handle(Lab.message(.request, Lab.mac(1), ciaddr: address100), now: later)
        let reply = try #require(decision.reply)
        #expect(reply.messageType == .ack)
        #expect(reply.ciaddr == address100 && reply.yiaddr == address100)
        #expect(reply.destination == .unicast(address100))
        #expect(decision.writes.first?.expires == later.addingTimeInterval(3600))
        // Option 12 left out of the renewal: the host name from the first ACK stays.
        var quiet = Lab.message(.request, Lab.mac(1), ciaddr: address100)
        quiet.hostname = nil
        #expect(engine.handle(quiet, now: later).writes.first?.hostname == "host-1")
    }

    @Test func rebindingAfterDatabaseLossGrantsAFreeAddress() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let decision = engine.handle(Lab.message(.request, Lab.mac(3), ciaddr: IPv4Address(10, 0, 0, 102), broadcast: true),
                                     now: Lab.t0)
        #expect(decision.reply?.messageType == .ack)
        #expect(decision.reply?.destination == .unicast(IPv4Address(10, 0, 0, 102)))
        #expect(engine.lease(at: IPv4Address(10, 0, 0, 102))?.mac == Lab.mac(3))
    }

    @Test func renewingSomeoneElsesOrForeignAddressIsNaked() throws {
        var engine = boundEngine()
        #expect(engine.handle(Lab.message(.request, Lab.mac(2), ciaddr: address100), now: Lab.t0).reply?.messageType == .nak)
        // Outside the range of its subnet.
        #expect(engine.handle(Lab.message(.request, Lab.mac(2), ciaddr: IPv4Address(10, 0, 0, 20)), now: Lab.t0)
            .reply?.messageType == .nak)
        // A client that moved: its address is on no served network; NAKed on the interface's.
        let moved = engine.handle(Lab.message(.request, Lab.mac(2), ciaddr: IPv4Address(172, 16, 0, 5)), now: Lab.t0)
        #expect(moved.reply?.messageType == .nak)
        #expect(moved.reply?.destination == .broadcast)
    }

    @Test func declineTakesTheAddressOutOfThePoolForAWhile() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration(poolEnd: 101))
        _ = engine.dora(Lab.mac(1), now: Lab.t0)
        let decision = engine.handle(Lab.message(.decline, Lab.mac(1), requested: address100, server: Lab.server),
                                     now: Lab.t0.addingTimeInterval(1))
        #expect(decision.reply == nil)
        #expect(decision.reason == .declined(address100))
        let write = try #require(decision.writes.first)
        #expect(write.state == .declined && write.expires == Lab.t0.addingTimeInterval(901))
        // The decliner gets another address; so does the next client, never the declined one.
        #expect(engine.dora(Lab.mac(1), now: Lab.t0.addingTimeInterval(2)) == IPv4Address(10, 0, 0, 101))
        #expect(engine.handle(Lab.message(.discover, Lab.mac(2)), now: Lab.t0.addingTimeInterval(3)).reason
                == .poolExhausted(Lab.local))
        // After the decline period it is back.
        #expect(engine.dora(Lab.mac(2), now: Lab.t0.addingTimeInterval(902)) == address100)
    }

    @Test func declineOfAnAddressTheClientDoesNotHoldIsIgnored() {
        var engine = boundEngine()
        let decision = engine.handle(Lab.message(.decline, Lab.mac(2), requested: address100, server: Lab.server), now: Lab.t0)
        #expect(decision.reason == .notClientsAddress(address100))
        #expect(decision.writes.isEmpty)
        #expect(engine.handle(Lab.message(.decline, Lab.mac(1), requested: address100, server: IPv4Address(10, 0, 0, 9)),
                              now: Lab.t0).reason == .otherServer(IPv4Address(10, 0, 0, 9)))
        #expect(engine.lease(at: address100)?.state == .bound)
    }

    @Test func releaseFreesTheAddressAndKeepsItForTheSameClient() throws {
        var engine = boundEngine()
        let at = Lab.t0.addingTimeInterval(60)
        let decision = engine.handle(Lab.message(.release, Lab.mac(1), server: Lab.server, ciaddr: address100), now: at)
        #expect(decision.reply == nil)
        #expect(decision.reason == .released(address100))
        #expect(decision.writes == [DHCPLease(address: address100, clientID: DHCPClientID(clientIdentifier: nil, chaddr: Lab.mac(1)),
                                              mac: Lab.mac(1), hostname: "host-1", state: .released, expires: at)])
        // A second RELEASE, or one by another client, changes nothing.
        #expect(engine.handle(Lab.message(.release, Lab.mac(1), server: Lab.server, ciaddr: address100), now: at).writes.isEmpty)
        #expect(engine.handle(Lab.message(.release, Lab.mac(2), ciaddr: address100), now: at).reason
                == .notClientsAddress(address100))
        // The same client returning gets its previous address (§4.3.1).
        #expect(engine.dora(Lab.mac(1), now: at.addingTimeInterval(10)) == address100)
    }

    @Test func informGetsConfigurationWithoutALease() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let decision = engine.handle(Lab.message(.inform, Lab.mac(5), ciaddr: IPv4Address(10, 0, 0, 30)), now: Lab.t0)
        let reply = try #require(decision.reply)
        #expect(reply.messageType == .ack)
        #expect(reply.yiaddr == .any && reply.ciaddr == IPv4Address(10, 0, 0, 30))
        #expect(reply.leaseTime == nil && reply.renewalTime == nil && reply.rebindingTime == nil)
        #expect(reply.subnetMask == IPv4Address(255, 255, 255, 0) && reply.routers == [Lab.router])
        #expect(reply.destination == .unicast(IPv4Address(10, 0, 0, 30)))
        #expect(decision.writes.isEmpty)
        #expect(engine.leases.isEmpty)
    }

    @Test func relayedDiscoverUsesTheGiaddrSubnetAndGoesToTheRelay() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        var message = Lab.message(.discover, Lab.mac(1), giaddr: Lab.relay)
        message.relayAgentInformation = [1, 3, 0x65, 0x74, 0x68]
        let offerValue = engine.handle(message, now: Lab.t0).reply
        let offer = try #require(offerValue)
        #expect(offer.yiaddr == IPv4Address(10, 1, 0, 10))
        #expect(offer.routers == [Lab.relay] && offer.leaseTime == 600)
        #expect(offer.destination == .relay(Lab.relay))
        #expect(offer.relayAgentInformation == [1, 3, 0x65, 0x74, 0x68])
        #expect(offer.serverIdentifier == Lab.server)
        #expect(engine.dora(Lab.mac(1), now: Lab.t0, giaddr: Lab.relay) == IPv4Address(10, 1, 0, 10))
        // A relayed NAK goes to the relay with the broadcast bit set.
        let nakValue = engine.handle(Lab.message(.request, Lab.mac(2), requested: IPv4Address(10, 0, 0, 100),
                                                         giaddr: Lab.relay), now: Lab.t0).reply
        let nak = try #require(nakValue)
        #expect(nak.messageType == .nak && nak.setsBroadcastFlag && nak.destination == .relay(Lab.relay))
    }

    @Test func unknownRelayOrInterfaceIsDropped() {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let decision = engine.handle(Lab.message(.discover, Lab.mac(1), giaddr: IPv4Address(192, 168, 9, 1)), now: Lab.t0)
        #expect(decision.reply == nil)
        #expect(decision.reason == .noSubnet(IPv4Address(192, 168, 9, 1)))
    }

    @Test func clientIdentifierOutranksChaddr() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        var discover = Lab.message(.discover, Lab.mac(1), clientIdentifier: [0, 0xaa])
        let first = engine.handle(discover, now: Lab.t0).reply?.yiaddr
        let request = Lab.message(.request, Lab.mac(1), requested: first, server: Lab.server, clientIdentifier: [0, 0xaa])
        #expect(engine.handle(request, now: Lab.t0).writes.first?.clientID == DHCPClientID(bytes: [0, 0xaa]))
        // Same client id from another NIC: the same lease.
        discover.chaddr = Lab.mac(2)
        #expect(engine.handle(discover, now: Lab.t0).reply?.yiaddr == first)
        // Same NIC, another client id: another client.
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1), clientIdentifier: [0, 0xbb]), now: Lab.t0).reply?.yiaddr
                != first)
    }

    @Test func leaseTimeIsTheClientsWishWithinBounds() {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1), leaseTime: 600), now: Lab.t0).reply?.leaseTime == 600)
        #expect(engine.handle(Lab.message(.discover, Lab.mac(2), leaseTime: 86400), now: Lab.t0).reply?.leaseTime == 3600)
        #expect(engine.handle(Lab.message(.discover, Lab.mac(3), leaseTime: 1), now: Lab.t0).reply?.leaseTime == 60)
    }

    @Test func aNewBindingReleasesTheClientsOlderOneOnTheSameNetwork() throws {
        var engine = boundEngine()
        let decision = engine.handle(Lab.message(.request, Lab.mac(1), requested: IPv4Address(10, 0, 0, 103), server: Lab.server),
                                     now: Lab.t0.addingTimeInterval(5))
        #expect(decision.reply?.yiaddr == IPv4Address(10, 0, 0, 103))
        #expect(decision.writes.map(\.address) == [IPv4Address(10, 0, 0, 103), address100])
        #expect(engine.lease(at: address100)?.state == .released)
    }

    @Test func engineRestartsFromStoredLeases() {
        var first = boundEngine()
        _ = first.handle(Lab.message(.decline, Lab.mac(1), requested: address100, server: Lab.server), now: Lab.t0)
        _ = first.dora(Lab.mac(2), now: Lab.t0)
        var second = DHCPLeaseEngine(configuration: Lab.configuration(), leases: first.leases)
        #expect(second.leases == first.leases)
        #expect(second.dora(Lab.mac(2), now: Lab.t0.addingTimeInterval(1)) == IPv4Address(10, 0, 0, 101))
        #expect(second.dora(Lab.mac(3), now: Lab.t0.addingTimeInterval(1)) == IPv4Address(10, 0, 0, 102))
    }

    @Test func configurationProblemsAreNamed() {
        var configuration = Lab.configuration(reservations: [
            DHCPReservation(mac: Lab.mac(1), address: IPv4Address(10, 0, 0, 5)),
            DHCPReservation(mac: Lab.mac(1), address: IPv4Address(10, 0, 0, 6)),
            DHCPReservation(mac: Lab.mac(2), address: IPv4Address(10, 0, 0, 5)),
            DHCPReservation(mac: Lab.mac(3), address: IPv4Address(192, 168, 0, 5)),
        ])
        configuration.subnets[1].range = IPv4Address(10, 1, 0, 10)...IPv4Address(10, 2, 0, 1)
        let problems = configuration.problems()
        #expect(problems.count == 4)
        #expect(problems.contains { $0.contains("range 10.1.0.10–10.2.0.1 is not inside") })
        #expect(problems.contains { $0.contains("MAC already reserved") })
        #expect(problems.contains { $0.contains("already reserved for") })
        #expect(problems.contains { $0.contains("in no configured subnet") })
        #expect(Lab.configuration().problems().isEmpty)
    }
}

@Suite struct DHCPLeaseEngineAdoptTests {
    @Test func adoptingTheStoresHolderWithdrawsTheAddress() {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        // Another appliance bound .100 in the shared store; the refused write hands us its record.
        let holder = DHCPLease(address: IPv4Address(10, 0, 0, 100), clientID: DHCPClientID(bytes: [9]), mac: Lab.mac(9),
                               hostname: nil, state: .bound, expires: Lab.t0.addingTimeInterval(600))
        engine.adopt(holder)
        #expect(engine.lease(at: holder.address) == holder)
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 101))
        #expect(engine.handle(Lab.message(.request, Lab.mac(1), ciaddr: holder.address), now: Lab.t0).reply?.messageType == .nak)
    }
}
