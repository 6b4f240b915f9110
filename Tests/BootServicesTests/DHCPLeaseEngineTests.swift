import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// The authoritative lease engine on a timeline: messages in, decisions out (RFC 2131 §4.3).
@Suite struct DHCPLeaseEngineTests {
    @Test func doraGivesTheFirstPoolAddressWithAllOptions() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let client = Lab.mac(1)
        let offerDecision = engine.handle(Lab.message(.discover, client), now: Lab.t0)
        let offer = try #require(offerDecision.reply)
        #expect(offer.messageType == .offer)
        #expect(offer.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(offer.ciaddr == .any)
        #expect(offer.serverIdentifier == Lab.server)
        #expect(offer.subnetMask == IPv4Address(255, 255, 255, 0))
        #expect(offer.routers == [Lab.router])
        #expect(offer.domainNameServers == [Lab.router])
        #expect(offer.domainName == "lab.example")
        #expect(offer.leaseTime == 3600 && offer.renewalTime == 1800 && offer.rebindingTime == 3150)
        #expect(offer.destination == .linkLayer(mac: client, address: IPv4Address(10, 0, 0, 100)))
        #expect(offerDecision.writes.isEmpty, "an OFFER promises nothing durable")

        let ackDecision = engine.handle(Lab.message(.request, client, requested: offer.yiaddr, server: Lab.server),
                                        now: Lab.t0.addingTimeInterval(1))
        let ack = try #require(ackDecision.reply)
        #expect(ack.messageType == .ack)
        #expect(ack.yiaddr == offer.yiaddr)
        #expect(ack.leaseTime == 3600)
        let write = try #require(ackDecision.writes.first)
        #expect(ackDecision.writes.count == 1)
        #expect(write.address == offer.yiaddr && write.state == .bound && write.mac == client)
        #expect(write.clientID == DHCPClientID(clientIdentifier: nil, chaddr: client))
        #expect(write.hostname == "host-1")
        #expect(write.expires == Lab.t0.addingTimeInterval(3601))
        #expect(engine.lease(at: offer.yiaddr) == write)
    }

    @Test func broadcastFlagMakesBroadcastReplies() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let offerValue = engine.handle(Lab.message(.discover, Lab.mac(1), broadcast: true), now: Lab.t0).reply
        let offer = try #require(offerValue)
        #expect(offer.destination == .broadcast)
    }

    @Test func reservationComesFirstWithItsHostname() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let offerValue = engine.handle(Lab.message(.discover, Lab.reservedMAC, requested: IPv4Address(10, 0, 0, 101)),
                                               now: Lab.t0).reply
        let offer = try #require(offerValue)
        #expect(offer.yiaddr == Lab.reservedAddress)
        #expect(offer.hostname == "mac-01")
        // No one else ever gets the reserved address, even asking for it.
        let otherValue = engine.handle(Lab.message(.discover, Lab.mac(2), requested: Lab.reservedAddress),
                                               now: Lab.t0).reply
        let other = try #require(otherValue)
        #expect(other.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(other.hostname == nil)
        let stolenValue = engine.handle(Lab.message(.request, Lab.mac(2), requested: Lab.reservedAddress,
                                                            server: Lab.server), now: Lab.t0).reply
        let stolen = try #require(stolenValue)
        #expect(stolen.messageType == .nak)
    }

    @Test func requestedAddressHonouredWhenFreeAndInRange() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1), requested: IPv4Address(10, 0, 0, 103)),
                              now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 103))
        // Out of range, or another subnet: not honoured, a pool address instead.
        #expect(engine.handle(Lab.message(.discover, Lab.mac(2), requested: IPv4Address(10, 0, 0, 20)),
                              now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(engine.handle(Lab.message(.discover, Lab.mac(3), requested: IPv4Address(10, 1, 0, 12)),
                              now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 101))
        // Held for client 1's offer: not given to client 4 who asks for it.
        #expect(engine.handle(Lab.message(.discover, Lab.mac(4), requested: IPv4Address(10, 0, 0, 103)),
                              now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 102))
    }

    @Test func twoClientsNeverGetTheSameAddress() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let firstValue = engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0).reply
        let first = try #require(firstValue)
        let secondValue = engine.handle(Lab.message(.discover, Lab.mac(2)), now: Lab.t0).reply
        let second = try #require(secondValue)
        #expect(first.yiaddr != second.yiaddr)
        // A retransmitted DISCOVER gets the same offer back.
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0.addingTimeInterval(2)).reply?.yiaddr
                == first.yiaddr)
        // Client 2 asking for client 1's offered address in SELECTING is NAKed.
        let nakValue = engine.handle(Lab.message(.request, Lab.mac(2), requested: first.yiaddr, server: Lab.server),
                                             now: Lab.t0).reply
        let nak = try #require(nakValue)
        #expect(nak.messageType == .nak)
        // Over a whole pool's worth of clients, every ACKed address is distinct.
        var engine2 = DHCPLeaseEngine(configuration: Lab.configuration(poolEnd: 199))
        var seen = Set<IPv4Address>()
        for n in 1...100 {
            let addressValue = engine2.dora(Lab.mac(UInt64(n)), now: Lab.t0)
            let address = try #require(addressValue)
            #expect(seen.insert(address).inserted)
        }
        #expect(engine2.dora(Lab.mac(101), now: Lab.t0) == nil)
    }

    @Test func exhaustedPoolGetsNoOfferAndAReason() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        for n in 1...5 { #expect(engine.dora(Lab.mac(UInt64(n)), now: Lab.t0) != nil) }
        let decision = engine.handle(Lab.message(.discover, Lab.mac(6)), now: Lab.t0)
        #expect(decision.reply == nil)
        #expect(decision.reason == .poolExhausted(Lab.local))
        #expect(decision.writes.isEmpty)
        // A bound client still gets its own address back while the pool is full.
        #expect(engine.dora(Lab.mac(3), now: Lab.t0.addingTimeInterval(5)) == IPv4Address(10, 0, 0, 102))
        // A release frees one address for the waiting client.
        _ = engine.handle(Lab.message(.release, Lab.mac(2), server: Lab.server, ciaddr: IPv4Address(10, 0, 0, 101)),
                          now: Lab.t0.addingTimeInterval(10))
        #expect(engine.dora(Lab.mac(6), now: Lab.t0.addingTimeInterval(11)) == IPv4Address(10, 0, 0, 101))
    }

    @Test func offersAreHeldOnlyBriefly() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration(poolEnd: 100))
        _ = engine.dora(Lab.mac(7), now: Lab.t0)  // .100 bound…
        _ = engine.handle(Lab.message(.release, Lab.mac(7), ciaddr: IPv4Address(10, 0, 0, 100)), now: Lab.t0)  // …and free
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 100))
        // Within the hold, client 1's REQUEST still finds its address; after it, anyone's.
        #expect(engine.handle(Lab.message(.request, Lab.mac(2), requested: IPv4Address(10, 0, 0, 100), server: Lab.server),
                              now: Lab.t0.addingTimeInterval(29)).reply?.messageType == .nak)
        #expect(engine.handle(Lab.message(.request, Lab.mac(2), requested: IPv4Address(10, 0, 0, 100), server: Lab.server),
                              now: Lab.t0.addingTimeInterval(31)).reply?.messageType == .ack)
    }

    @Test func whenOnlyOffersAreLeftTheOldestYields() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration(poolEnd: 101))
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(engine.handle(Lab.message(.discover, Lab.mac(2)), now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 101))
        #expect(engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0).reply?.yiaddr == IPv4Address(10, 0, 0, 100))
        // The pool is all offers: the oldest (client 1's) goes to client 3.
        #expect(engine.handle(Lab.message(.discover, Lab.mac(3)), now: Lab.t0.addingTimeInterval(1)).reply?.yiaddr
                == IPv4Address(10, 0, 0, 100))
        #expect(engine.handle(Lab.message(.request, Lab.mac(1), requested: IPv4Address(10, 0, 0, 100), server: Lab.server),
                              now: Lab.t0.addingTimeInterval(1)).reply?.messageType == .nak)
        #expect(engine.handle(Lab.message(.request, Lab.mac(3), requested: IPv4Address(10, 0, 0, 100), server: Lab.server),
                              now: Lab.t0.addingTimeInterval(1)).reply?.messageType == .ack)
        // Bound addresses never yield: client 4 takes client 2's offer, then nothing is left.
        #expect(engine.dora(Lab.mac(4), now: Lab.t0.addingTimeInterval(2)) == IPv4Address(10, 0, 0, 101))
        #expect(engine.handle(Lab.message(.discover, Lab.mac(5)), now: Lab.t0.addingTimeInterval(2)).reason
                == .poolExhausted(Lab.local))
    }

    @Test func aFloodOfRandomMACsDoesNotLockOutARealClient() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            _ = engine.handle(Lab.message(.discover, MACAddress(rawValue: generator.next())), now: Lab.t0)
        }
        for n in 1...5 {
            #expect(engine.dora(Lab.mac(UInt64(n)), now: Lab.t0.addingTimeInterval(1)) != nil, "client \(n) answered")
        }
        let bound = engine.leases.filter { $0.state == .bound }
        #expect(Set(bound.map(\.address)).count == 5 && Set(bound.map(\.mac)) == Set((1...5).map { Lab.mac(UInt64($0)) }))
        #expect(engine.handle(Lab.message(.discover, Lab.mac(6)), now: Lab.t0.addingTimeInterval(1)).reason
                == .poolExhausted(Lab.local))
    }

    @Test func expiredLeasesAreReusedAndTheOwnerPreferredBeforeThat() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        for n in 1...5 { _ = engine.dora(Lab.mac(UInt64(n)), now: Lab.t0) }
        #expect(engine.handle(Lab.message(.discover, Lab.mac(9)), now: Lab.t0.addingTimeInterval(3599)).reply == nil)
        // The owner of an expired lease gets its old address back (§4.3.1 "previous address").
        #expect(engine.dora(Lab.mac(4), now: Lab.t0.addingTimeInterval(4000)) == IPv4Address(10, 0, 0, 103))
        // A newcomer gets another expired one.
        let reusedValue = engine.dora(Lab.mac(9), now: Lab.t0.addingTimeInterval(4000))
        let reused = try #require(reusedValue)
        #expect(reused != IPv4Address(10, 0, 0, 103))
        #expect(engine.lease(at: reused)?.mac == Lab.mac(9))
    }

    @Test func selectingAnotherServerWithdrawsTheOfferSilently() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration(poolEnd: 100))
        let offerValue = engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0).reply
        let offer = try #require(offerValue)
        // The other server gave the client an address of its own (outside this pool).
        let decision = engine.handle(Lab.message(.request, Lab.mac(1), requested: IPv4Address(10, 0, 0, 150),
                                                 server: IPv4Address(10, 0, 0, 9)), now: Lab.t0)
        #expect(decision.reply == nil)
        #expect(decision.reason == .selectedOtherServer(IPv4Address(10, 0, 0, 9)))
        #expect(decision.writes.isEmpty)
        // The address is free again at once for someone else.
        #expect(engine.handle(Lab.message(.discover, Lab.mac(2)), now: Lab.t0).reply?.yiaddr == offer.yiaddr)
    }

    /// Two appliances on one store whose pool cursors drifted apart: B sees a client take an
    /// address from A and keeps it for that client (in memory, nothing written), so B's next
    /// OFFER is another address and not one A is binding — the conflict that cost perfdhcp
    /// against two appliances a withheld ACK per taken offer.
    @Test func anAddressTakenFromAnotherServerIsNotOfferedToTheNextClient() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration(poolEnd: 110))
        let peer = IPv4Address(10, 0, 0, 9)
        let taken = IPv4Address(10, 0, 0, 100)
        let decision = engine.handle(Lab.message(.request, Lab.mac(1), requested: taken, server: peer), now: Lab.t0)
        #expect(decision.reply == nil && decision.writes.isEmpty)
        #expect(engine.lease(at: taken)?.clientID == DHCPClientID(clientIdentifier: nil, chaddr: Lab.mac(1)))
        let next = try #require(engine.handle(Lab.message(.discover, Lab.mac(2)), now: Lab.t0).reply)
        #expect(next.yiaddr != taken)
        // The client itself may still renew it here (any appliance renews any lease).
        let renewal = engine.handle(Lab.message(.discover, Lab.mac(1)), now: Lab.t0 + 1).reply
        #expect(renewal?.yiaddr == taken)
        // An address held here for another client is not overwritten by what a peer says.
        let offered = try #require(engine.handle(Lab.message(.discover, Lab.mac(3)), now: Lab.t0).reply)
        _ = engine.handle(Lab.message(.request, Lab.mac(4), requested: offered.yiaddr, server: peer), now: Lab.t0)
        #expect(engine.lease(at: offered.yiaddr) == nil)
        // An address outside this engine's pool is not recorded.
        _ = engine.handle(Lab.message(.request, Lab.mac(5), requested: IPv4Address(10, 0, 0, 200), server: peer), now: Lab.t0)
        #expect(engine.lease(at: IPv4Address(10, 0, 0, 200)) == nil)
    }

    @Test func selectingWithoutRequestedAddressIsDropped() {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let decision = engine.handle(Lab.message(.request, Lab.mac(1), server: Lab.server), now: Lab.t0)
        #expect(decision.reply == nil)
        #expect(decision.reason == .missingField("requested address (option 50)"))
    }
}
