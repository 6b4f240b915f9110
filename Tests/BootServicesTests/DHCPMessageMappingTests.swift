import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// DHCPMessage bytes ↔ the engine's request and reply values.
@Suite struct DHCPMessageMappingTests {
    let mac = MACAddress("52:54:00:ab:cd:ef")!

    func clientMessage(_ type: DHCPMessageType, configure: (inout DHCPMessage) -> Void = { _ in }) throws -> DHCPMessage {
        var message = DHCPMessage(op: .bootRequest, xid: 0x1234_5678, mac: mac)
        message.messageType = type
        configure(&message)
        // Through bytes, as the shell receives it.
        return try DHCPMessage(decoding: try message.encode())
    }

    @Test func requestFieldsComeFromTheMessage() throws {
        let message = try clientMessage(.request) { message in
            message.broadcast = true
            message.giaddr = Lab.relay
            message.setValue(.requestedIPAddress, IPv4Address(10, 1, 0, 12))
            message.setValue(.serverIdentifier, Lab.server)
            message.setValue(.leaseTime, 600)
            message.set(.hostName, Array("pc-7".utf8))
            message.set(.clientIdentifier, [0xff, 1, 2, 3])
            message.set(.relayAgentInformation, [1, 2, 0x61, 0x62])
        }
        let request = try DHCPLeaseRequest(message: message, receivedOn: Lab.interface)
        #expect(request == DHCPLeaseRequest(
            messageType: .request, chaddr: mac, clientIdentifier: [0xff, 1, 2, 3],
            requestedAddress: IPv4Address(10, 1, 0, 12), serverIdentifier: Lab.server, giaddr: Lab.relay,
            broadcastFlag: true, hostname: "pc-7", leaseTime: 600, relayAgentInformation: [1, 2, 0x61, 0x62],
            receivedOn: Lab.interface))
    }

    @Test func unusableMessagesSayWhy() throws {
        var reply = DHCPMessage(op: .bootReply, xid: 1, mac: mac)
        reply.messageType = .offer
        #expect(throws: DHCPLeaseRequest.MessageError.notARequest) {
            try DHCPLeaseRequest(message: reply, receivedOn: Lab.interface)
        }
        let bootp = DHCPMessage(op: .bootRequest, xid: 1, mac: mac)
        #expect(throws: DHCPLeaseRequest.MessageError.missingMessageType) {
            try DHCPLeaseRequest(message: bootp, receivedOn: Lab.interface)
        }
        let ack = try clientMessage(.ack)
        #expect(throws: DHCPLeaseRequest.MessageError.notAClientMessage(.ack)) {
            try DHCPLeaseRequest(message: ack, receivedOn: Lab.interface)
        }
        var infiniband = try clientMessage(.discover)
        infiniband.htype = 32
        infiniband.hlen = 0
        #expect(throws: DHCPLeaseRequest.MessageError.notEthernet(htype: 32, hlen: 0)) {
            try DHCPLeaseRequest(message: infiniband, receivedOn: Lab.interface)
        }
        let badRequested = try clientMessage(.request) { $0.set(.requestedIPAddress, [10, 0, 0]) }
        #expect(throws: DHCPLeaseRequest.MessageError.self) {
            try DHCPLeaseRequest(message: badRequested, receivedOn: Lab.interface)
        }
        // A host name that is not UTF-8 is ignored, not fatal.
        let oddName = try clientMessage(.discover) { $0.set(.hostName, [0xff, 0xfe]) }
        #expect(try DHCPLeaseRequest(message: oddName, receivedOn: Lab.interface).hostname == nil)
    }

    @Test func offerBecomesAMessageWithTable3FieldsAndOptions() throws {
        let discover = try clientMessage(.discover) { message in
            message.setValue(.parameterRequestList, [.domainNameServer, .router, .subnetMask])
            message.set(.relayAgentInformation, [1, 2, 0x61, 0x62])
            message.giaddr = Lab.relay
            message.hops = 1
            message.secs = 4
        }
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let decision = engine.handle(try DHCPLeaseRequest(message: discover, receivedOn: Lab.interface), now: Lab.t0)
        let reply = try #require(decision.reply)
        let bytes = try reply.message(answering: discover).encode()
        let offer = try DHCPMessage(decoding: bytes)
        #expect(offer.op == .bootReply && offer.xid == 0x1234_5678 && offer.hops == 0 && offer.secs == 0)
        #expect(offer.yiaddr == IPv4Address(10, 1, 0, 10) && offer.ciaddr == .any && offer.siaddr == .any)
        #expect(offer.giaddr == Lab.relay && offer.clientMAC == mac && !offer.broadcast)
        #expect(offer.messageType == .offer)
        let codes = offer.options.map(\.code.rawValue)
        // The relayed subnet has no DNS; router before mask, as the request list asks.
        #expect(codes == [53, 54, 51, 58, 59, 3, 1, 82])
        #expect(try offer.value(.serverIdentifier) == Lab.server)
        #expect(try offer.value(.leaseTime) == 600)
        #expect(try offer.value(.renewalTime) == 300)
        #expect(try offer.value(.rebindingTime) == 525)
        #expect(try offer.value(.subnetMask) == IPv4Address(255, 255, 255, 0))
        #expect(try offer.value(.routers) == [Lab.relay])
        #expect(offer.data(for: .relayAgentInformation) == [1, 2, 0x61, 0x62])
    }

    @Test func relayedNakSetsTheBroadcastBitAndCarriesOnlyItsOptions() throws {
        let request = try clientMessage(.request) { message in
            message.giaddr = Lab.relay
            message.setValue(.requestedIPAddress, IPv4Address(10, 0, 0, 100))
        }
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        let decision = engine.handle(try DHCPLeaseRequest(message: request, receivedOn: Lab.interface), now: Lab.t0)
        let nak = try DHCPMessage(decoding: try #require(decision.reply).message(answering: request).encode())
        #expect(nak.messageType == .nak)
        #expect(nak.broadcast)
        #expect(nak.yiaddr == .any && nak.ciaddr == .any)
        #expect(nak.options.map(\.code.rawValue) == [53, 54, 56])
        #expect(try nak.value(.message)?.contains("not on this network") == true)
    }
}
