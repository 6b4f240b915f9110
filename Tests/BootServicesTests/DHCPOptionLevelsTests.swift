import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// `option-data` through the whole core: the OFFER a client gets carries each level's options
/// with the right precedence, filtered by its parameter request list (issue 20).
@Suite struct DHCPOptionLevelsTests {
    static let ntp = DHCPOptionCode(42)
    static let mtu = DHCPOptionCode(26)
    static let tftpName = DHCPOptionCode(66)
    static let host = MACAddress("52:54:00:aa:00:01")!
    static let classMember = MACAddress("52:54:00:bb:00:01")!

    static func option(_ code: DHCPOptionCode, _ text: String, always: Bool = false) -> DHCPOptionData {
        DHCPOptionData(code: code, data: Array(text.utf8), alwaysSend: always)
    }

    static func core(classRequiredForPool: String? = nil) -> DHCPServerCore {
        var pool = Lab.configuration()
        pool.subnets[0].options = [option(ntp, "subnet"), option(tftpName, "subnet-tftp")]
        pool.subnets[0].clientClass = classRequiredForPool
        pool.options = [option(ntp, "global"), option(mtu, "global-mtu", always: true), option(tftpName, "global-tftp"),
                        option(DHCPOptionCode(17), "global-root")]
        pool.classifier = DHCPClientClassifier(classes: [
            DHCPClientClass(name: "lab", match: .init(macPrefixes: [[0x52, 0x54, 0x00, 0xbb]]),
                            options: [option(ntp, "class"), option(DHCPOptionCode(17), "class-root")]),
        ], hosts: [host: DHCPHostSettings(options: [option(ntp, "host"), DHCPOptionData(code: .router, data: [10, 0, 0, 254])])])
        return DHCPServerCore(mode: .authoritative, pool: pool)
    }

    static func offer(_ core: inout DHCPServerCore, _ mac: MACAddress, prl: [UInt8]?) throws -> DHCPMessage {
        let exchange = core.handle(Wire.client(.discover, mac) { message in
            if let prl { message.setValue(.parameterRequestList, prl.map { DHCPOptionCode($0) }) }
        }, receipt: Wire.receipt, now: Lab.t0)
        return try #require(Wire.reply(exchange)).0
    }

    static func text(_ message: DHCPMessage, _ code: UInt8) -> String? {
        message.data(for: DHCPOptionCode(code)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func hostBeatsSubnetBeatsClassBeatsGlobal() throws {
        var core = Self.core()
        let prl: [UInt8] = [1, 3, 42, 66, 17]
        let plain = try Self.offer(&core, Lab.mac(1), prl: prl)
        #expect(Self.text(plain, 42) == "subnet")
        #expect(Self.text(plain, 66) == "subnet-tftp")
        #expect(Self.text(plain, 17) == "global-root")
        let member = try Self.offer(&core, Self.classMember, prl: prl)
        #expect(Self.text(member, 42) == "subnet")   // subnet over class, as Kea
        #expect(Self.text(member, 17) == "class-root") // class over global
        let host = try Self.offer(&core, Self.host, prl: prl)
        #expect(Self.text(host, 42) == "host")
        // The host's routers replace the subnet's `router` key.
        #expect(try host.value(.routers) == [IPv4Address(10, 0, 0, 254)])
        #expect(try plain.value(.routers) == [Lab.router])
    }

    @Test func onlyRequestedOrAlwaysSendOptionsAreSentInRequestOrder() throws {
        var core = Self.core()
        let asked = try Self.offer(&core, Lab.mac(2), prl: [66, 1, 42])
        #expect(Self.text(asked, 66) != nil && Self.text(asked, 42) != nil)
        #expect(Self.text(asked, 17) == nil)          // configured, not requested
        #expect(Self.text(asked, 26) == "global-mtu") // always-send
        let codes = asked.options.map(\.code.rawValue)
        let order = codes.filter { [66, 1, 42, 26].contains($0) }
        #expect(order == [66, 1, 42, 26])
        let silent = try Self.offer(&core, Lab.mac(3), prl: nil)
        #expect(Self.text(silent, 42) == nil && Self.text(silent, 26) == "global-mtu")
        // The subnet's own keys (router, dns, domain) are still sent as before.
        #expect(try silent.value(.domainName) == "lab.example")
    }

    @Test func aPoolWithAClientClassServesOnlyItsMembers() throws {
        var core = Self.core(classRequiredForPool: "lab")
        let outsider = core.handle(Wire.client(.discover, Lab.mac(4)), receipt: Wire.receipt, now: Lab.t0)
        #expect(outsider.reasonLabel == "not_in_pool_class")
        let member = try Self.offer(&core, Self.classMember, prl: nil)
        #expect(member.yiaddr == IPv4Address(10, 0, 0, 100))
        // A reservation is served whatever the class.
        let reserved = try Self.offer(&core, Lab.reservedMAC, prl: nil)
        #expect(reserved.yiaddr == Lab.reservedAddress)
    }
}

/// Option 43 from `option-data` reaches plain clients; PXE clients get the PXE answer's own.
@Suite struct VendorOptionTests {
    @Test func configuredOption43GoesToPlainClientsOnly() throws {
        var pool = Lab.configuration()
        pool.options = [DHCPOptionData(code: .vendorSpecificInformation, data: [1, 4, 10, 0, 0, 2], alwaysSend: true)]
        var core = DHCPServerCore(mode: .authoritative, pool: pool, pxe: PXEResponder(configuration: .init()))
        let plain = try #require(Wire.reply(core.handle(Wire.client(.discover, Lab.mac(1)), receipt: Wire.receipt, now: Lab.t0))).0
        #expect(plain.data(for: .vendorSpecificInformation) == [1, 4, 10, 0, 0, 2])
        let pxe = try #require(Wire.reply(core.handle(DHCPClassBootTests.pxe(7, mac: Lab.mac(2)), receipt: Wire.receipt, now: Lab.t0))).0
        #expect(pxe.instances(of: .vendorSpecificInformation) == [PXEResponder.discoveryControl])
    }
}

/// Configured options that do not fit the client's size budget are left out, not the reply.
@Suite struct OptionBudgetTests {
    @Test func optionsBeyondTheBudgetAreLeftOutLeastWantedFirst() throws {
        var pool = Lab.configuration()
        // 8 × 62 bytes of requested text options + one always-send: more than 548 − 240 bytes.
        pool.options = (200..<208).map { DHCPOptionData(code: DHCPOptionCode(UInt8($0)), data: Array(repeating: 0x61, count: 60)) }
            + [DHCPOptionData(code: DHCPOptionCode(220), data: [1, 2, 3], alwaysSend: true)]
        var core = DHCPServerCore(mode: .authoritative, pool: pool)
        let exchange = core.handle(Wire.client(.discover, Lab.mac(1)) {
            $0.setValue(.parameterRequestList, (200..<208).map { DHCPOptionCode(UInt8($0)) })
        }, receipt: Wire.receipt, now: Lab.t0)
        let (offer, outgoing) = try #require(Wire.reply(exchange))
        #expect(outgoing.bytes.count <= 548)
        #expect(try offer.messageType == .offer && offer.value(.subnetMask) != nil)
        // The always-send option goes first, then the requested ones from the end of the list.
        #expect(!offer.contains(DHCPOptionCode(220)))
        #expect(offer.contains(DHCPOptionCode(200)) && !offer.contains(DHCPOptionCode(207)))
        #expect(exchange.reason.contains("left out (client's size budget)"))
        // A client that allows 1500 bytes gets them all.
        let big = core.handle(Wire.client(.discover, Lab.mac(2)) {
            $0.setValue(.parameterRequestList, (200..<208).map { DHCPOptionCode(UInt8($0)) })
            $0.setValue(.maximumMessageSize, 1500)
        }, receipt: Wire.receipt, now: Lab.t0)
        let (all, _) = try #require(Wire.reply(big))
        #expect((200..<208).allSatisfy { all.contains(DHCPOptionCode(UInt8($0))) } && all.contains(DHCPOptionCode(220)))
    }
}
