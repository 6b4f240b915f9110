import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// Wire in, wire out: encoded client messages through `DHCPServerCore`, replies decoded again.
enum Wire {
    static let receipt = DHCPReceipt(interface: Lab.interface)

    static func client(_ type: DHCPMessageType, _ mac: MACAddress, xid: UInt32 = 0x1234_5678,
                       configure: (inout DHCPMessage) -> Void = { _ in }) -> [UInt8] {
        var message = DHCPMessage(op: .bootRequest, xid: xid, mac: mac)
        message.messageType = type
        configure(&message)
        return (try? message.encode()) ?? []
    }

    static func reply(_ exchange: DHCPExchange) -> (DHCPMessage, DHCPOutgoing)? {
        guard case .reply(let outgoing) = exchange.outcome,
              let message = try? DHCPMessage(decoding: outgoing.bytes) else { return nil }
        return (message, outgoing)
    }

    static func authoritative(pxe: PXEResponder? = nil) -> DHCPServerCore {
        DHCPServerCore(mode: .authoritative, pool: Lab.configuration(), pxe: pxe)
    }
}

@Suite struct DHCPServerCoreTests {
    @Test func discoverGetsAnOfferUnicastToChaddr() throws {
        var core = Wire.authoritative()
        let exchange = core.handle(Wire.client(.discover, Lab.mac(1)), receipt: Wire.receipt, now: Lab.t0)
        let (offer, outgoing) = try #require(Wire.reply(exchange))
        #expect(offer.op == .bootReply && offer.xid == 0x1234_5678)
        #expect(offer.messageType == .offer)
        #expect(offer.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(try offer.value(.serverIdentifier) == Lab.server)
        #expect(try offer.value(.subnetMask) == IPv4Address(255, 255, 255, 0))
        #expect(try offer.value(.leaseTime) == 3600)
        #expect(outgoing.destination == .linkLayer(mac: Lab.mac(1), address: IPv4Address(10, 0, 0, 100)))
        #expect(outgoing.destinationPort == 68)
        #expect(exchange.writes.isEmpty)
        #expect(exchange.decisionLabel == "offer" && exchange.reasonLabel == "none")
    }

    @Test func requestIsAckedWithTheLeaseToCommitFirst() throws {
        var core = Wire.authoritative()
        _ = core.handle(Wire.client(.discover, Lab.mac(1)), receipt: Wire.receipt, now: Lab.t0)
        let request = Wire.client(.request, Lab.mac(1)) {
            $0.setValue(.requestedIPAddress, IPv4Address(10, 0, 0, 100))
            $0.setValue(.serverIdentifier, Lab.server)
            $0.broadcast = true
        }
        let exchange = core.handle(request, receipt: Wire.receipt, now: Lab.t0)
        let (ack, outgoing) = try #require(Wire.reply(exchange))
        #expect(ack.messageType == .ack && ack.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(ack.broadcast)
        #expect(outgoing.destination == .broadcast)
        #expect(exchange.writes.map(\.address) == [IPv4Address(10, 0, 0, 100)])
        #expect(exchange.writes.first?.state == .bound)
    }

    @Test func relayedDiscoverGoesToGiaddrWithOption82Echoed() throws {
        var core = Wire.authoritative()
        let agent: [UInt8] = [1, 4, 0x65, 0x74, 0x68, 0x30]
        let exchange = core.handle(Wire.client(.discover, Lab.mac(2)) {
            $0.giaddr = Lab.relay
            $0.hops = 1
            $0.set(.relayAgentInformation, agent)
        }, receipt: DHCPReceipt(interface: Lab.interface, sourcePort: 67), now: Lab.t0)
        let (offer, outgoing) = try #require(Wire.reply(exchange))
        #expect(offer.yiaddr == IPv4Address(10, 1, 0, 10))
        #expect(offer.giaddr == Lab.relay && offer.hops == 0)
        #expect(offer.data(for: .relayAgentInformation) == agent)
        #expect(outgoing.destination == .relay(Lab.relay) && outgoing.destinationPort == 67)
    }

    /// RFC 3046: the server echoes option 82 however large; the relay strips it before the
    /// client sees the reply, so the client's size limit (576 here, no option 57) is met
    /// without it, and a reply still too big moves options into the unused `sname`/`file`
    /// (RFC 2131 §4.1, option 52). A 255-byte option 82 used to get no reply at all.
    @Test(arguments: [false, true])
    func relayedDiscoverWithTheLargestOption82IsAnswered(pxeClient: Bool) throws {
        var core = Wire.authoritative(pxe: PXEResponder(configuration: .init(bios: "undionly.kpxe")))
        let agent: [UInt8] = [1, 126] + Array(repeating: 0x63, count: 126) + [2, 125] + Array(repeating: 0x72, count: 125)
        #expect(agent.count == 255)
        let exchange = core.handle(Wire.client(.discover, Lab.mac(3)) {
            $0.giaddr = Lab.relay
            $0.hops = 1
            $0.set(.hostName, Array("a-rather-long-host-name-for-this-client.lab.example".utf8))
            if pxeClient {
                $0.set(.vendorClassIdentifier, Array("PXEClient:Arch:00000:UNDI:002001".utf8))
                $0.set(.clientSystemArchitecture, [0, 0])
            }
            $0.set(.relayAgentInformation, agent)
        }, receipt: DHCPReceipt(interface: Lab.interface, sourcePort: 67), now: Lab.t0)
        let (offer, outgoing) = try #require(Wire.reply(exchange), "\(exchange.reason)")
        #expect(offer.messageType == .offer && offer.yiaddr == IPv4Address(10, 1, 0, 10))
        #expect(offer.data(for: .relayAgentInformation) == agent)
        #expect(outgoing.destination == .relay(Lab.relay))
        // What the client gets once the relay has removed option 82 fits 576 bytes of IP.
        #expect(outgoing.bytes.count - (agent.count + 2) <= 576 - 28)
        if pxeClient { #expect(offer.bootFileName == "undionly.kpxe") }
    }

    /// Unrelayed, the whole reply must fit the client's limit: options the fixed part has room
    /// for go into `file` and `sname` (option 52) rather than the reply being dropped.
    @Test func aReplyTooLargeForTheOptionsFieldOverloadsFileAndSname() throws {
        var reply = DHCPMessage(op: .bootReply, xid: 1, mac: Lab.mac(4))
        reply.messageType = .offer
        reply.setValue(.serverIdentifier, Lab.server)
        for code in 224...230 { reply.set(DHCPOptionCode(UInt8(code)), Array(repeating: UInt8(code), count: 60)) }
        #expect(throws: (any Error).self) { try reply.encode(maximumSize: 548) }
        let request = DHCPMessage(op: .bootRequest, xid: 1, mac: Lab.mac(4))
        let exchange = DHCPServerCore.encode(reply, destination: .broadcast, request: request, client: Lab.mac(4),
                                             received: .discover, core: "lease", writes: [], reason: "ok")
        let (decoded, outgoing) = try #require(Wire.reply(exchange), "\(exchange.reason)")
        #expect(outgoing.bytes.count <= 548)
        for code in 224...230 {
            #expect(decoded.data(for: DHCPOptionCode(UInt8(code))) == Array(repeating: UInt8(code), count: 60))
        }
        #expect(decoded.messageType == .offer && decoded.options.first?.code == .messageType)
        #expect(decoded.fileOptions.count == 2 && decoded.snameOptions.count == 1)
        #expect(decoded.data(for: .optionOverload) == [3])
        // Nothing to move into (a boot file in `file`, a server name in `sname`): still no reply.
        var full = reply
        full.file = Array("undionly.kpxe".utf8)
        full.sname = Array("boot".utf8)
        #expect(DHCPReplySize.fit(full, budget: 548) == nil)
    }

    @Test func malformedAndForeignPacketsAreDroppedWithReasons() {
        var core = Wire.authoritative()
        let cases: [([UInt8], String)] = [
            ([], "malformed"),
            ([1, 1, 6, 0] + [UInt8](repeating: 0, count: 100), "malformed"),
            (Array(repeating: 0xFF, count: 400), "malformed"),
        ]
        for (bytes, code) in cases {
            let exchange = core.handle(bytes, receipt: Wire.receipt, now: Lab.t0)
            #expect(exchange.reasonLabel == code)
        }
        var reply = DHCPMessage(op: .bootReply, xid: 1, mac: Lab.mac(3))
        reply.messageType = .offer
        #expect(core.handle((try? reply.encode()) ?? [], receipt: Wire.receipt, now: Lab.t0).reasonLabel == "not_request")
        let bootp = (try? DHCPMessage(op: .bootRequest, xid: 1, mac: Lab.mac(3)).encode()) ?? []
        #expect(core.handle(bootp, receipt: Wire.receipt, now: Lab.t0).reasonLabel == "no_message_type")
        let offerFromClient = Wire.client(.offer, Lab.mac(3))
        #expect(core.handle(offerFromClient, receipt: Wire.receipt, now: Lab.t0).reasonLabel == "unsupported_type")
    }

    @Test func randomBytesNeverTrapAndValidClientsStillGetAnswers() throws {
        var core = Wire.authoritative()
        var generator = SystemRandomNumberGenerator()
        let valid = Wire.client(.discover, Lab.mac(9))
        for round in 0..<2000 {
            var bytes = valid
            let flips = Int.random(in: 1...12, using: &generator)
            for _ in 0..<flips { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if round % 3 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))) }
            _ = core.handle(bytes, receipt: Wire.receipt, now: Lab.t0)
        }
        let exchange = core.handle(valid, receipt: Wire.receipt, now: Lab.t0)
        #expect(Wire.reply(exchange)?.0.messageType == .offer)
    }

    @Test func exhaustedPoolIsADropWithItsReason() throws {
        var core = DHCPServerCore(mode: .authoritative, pool: Lab.configuration(poolEnd: 101))
        // Two clients bind the two addresses (offers alone yield to newer clients).
        for n: UInt64 in 1...2 {
            let offer = try #require(Wire.reply(core.handle(Wire.client(.discover, Lab.mac(n)), receipt: Wire.receipt, now: Lab.t0)))
            let ack = core.handle(Wire.client(.request, Lab.mac(n)) {
                $0.setValue(.requestedIPAddress, offer.0.yiaddr)
                $0.setValue(.serverIdentifier, Lab.server)
            }, receipt: Wire.receipt, now: Lab.t0)
            #expect(Wire.reply(ack)?.0.messageType == .ack)
        }
        let third = core.handle(Wire.client(.discover, Lab.mac(3)), receipt: Wire.receipt, now: Lab.t0)
        #expect(third.reasonLabel == "pool_exhausted")
        #expect(third.reason.contains("pool exhausted"))
    }

    @Test func proxyModeAnswersNoPlainClient() {
        var core = DHCPServerCore(mode: .proxy, pxe: PXEResponder(configuration: .init()))
        let exchange = core.handle(Wire.client(.discover, Lab.mac(1)), receipt: Wire.receipt, now: Lab.t0)
        #expect(exchange.reasonLabel == "proxy_not_boot_client")
    }
}
