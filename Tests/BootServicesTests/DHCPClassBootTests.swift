import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// Classes and reservations change what PXE, iPXE and plain clients are told to boot (dnsmasq
/// `dhcp-boot=tag:…`, Kea class `boot-file-name`/`next-server`), in both modes (issue 20).
@Suite struct DHCPClassBootTests {
    static let pinned = MACAddress("52:54:00:00:00:99")!

    static func pool() -> DHCPPoolConfiguration {
        var pool = Lab.configuration()
        pool.classifier = DHCPClientClassifier(classes: [
            DHCPClientClass(name: "uefi", match: .init(vendorClassPrefixes: ["PXEClient"], architectures: [7]),
                            boot: DHCPBootSettings(bootFile: "uefi/snponly.efi", nextServer: IPv4Address(10, 0, 0, 9))),
            DHCPClientClass(name: "bios", match: .init(vendorClassPrefixes: ["PXEClient"], architectures: [0]),
                            boot: DHCPBootSettings(bootFile: "bios/lpxelinux.0")),
            DHCPClientClass(name: "ipxe", match: .init(userClasses: ["iPXE"]),
                            boot: DHCPBootSettings(ipxeScript: "http://{server}/classes/{mac}.ipxe")),
            DHCPClientClass(name: "rack1", match: .init(circuitIDs: [Array("rack1-port3".utf8)]),
                            boot: DHCPBootSettings(bootFile: "rack1.kpxe")),
        ], hosts: [pinned: DHCPHostSettings(boot: DHCPBootSettings(bootFile: "hosts/{mac}.efi"))])
        return pool
    }

    static func pxe(_ arch: UInt16, mac: MACAddress) -> [UInt8] {
        Wire.client(.discover, mac) {
            $0.setValue(.vendorClassIdentifier, "PXEClient:Arch:0000\(arch):UNDI:003016")
            $0.setValue(.clientSystemArchitecture, [DHCPClientArchitecture(rawValue: arch)])
        }
    }

    static func bootFile(_ exchange: DHCPExchange) -> String? {
        Wire.reply(exchange).flatMap { try? $0.0.value(.bootfileName) }
    }

    @Test func architectureSevenAndZeroGetTheirClassesBootFiles() throws {
        var core = DHCPServerCore(mode: .authoritative, pool: Self.pool(), pxe: PXEResponder(configuration: .init()))
        let uefi = core.handle(Self.pxe(7, mac: Lab.mac(1)), receipt: Wire.receipt, now: Lab.t0)
        let (uefiOffer, _) = try #require(Wire.reply(uefi))
        #expect(Self.bootFile(uefi) == "uefi/snponly.efi")
        #expect(uefiOffer.siaddr == IPv4Address(10, 0, 0, 9))
        #expect(uefi.reason.hasSuffix("[classes: uefi]"))
        let bios = core.handle(Self.pxe(0, mac: Lab.mac(2)), receipt: Wire.receipt, now: Lab.t0)
        #expect(Self.bootFile(bios) == "bios/lpxelinux.0")
        #expect(try #require(Wire.reply(bios)).0.siaddr == Lab.server)
        // No class for arch 11: the pxe: default.
        let arm = core.handle(Self.pxe(11, mac: Lab.mac(3)), receipt: Wire.receipt, now: Lab.t0)
        #expect(Self.bootFile(arm) == "ipxe-arm64.efi")
    }

    @Test func ipxeGetsTheClassScriptAndAHostItsOwnFile() throws {
        var core = DHCPServerCore(mode: .authoritative, pool: Self.pool(), pxe: PXEResponder(configuration: .init()))
        let ipxe = core.handle(Wire.client(.discover, Lab.mac(4)) {
            $0.setValue(.userClass, DHCPUserClass(text: "iPXE"))
        }, receipt: Wire.receipt, now: Lab.t0)
        #expect(Self.bootFile(ipxe) == "http://10.0.0.2/classes/02:00:00:00:00:04.ipxe")
        let host = core.handle(Self.pxe(7, mac: Self.pinned), receipt: Wire.receipt, now: Lab.t0)
        #expect(Self.bootFile(host) == "hosts/52:54:00:00:00:99.efi")  // host over class
        #expect(try #require(Wire.reply(host)).0.siaddr == IPv4Address(10, 0, 0, 9))  // next-server still from the class
    }

    @Test func aRelayedRequestsCircuitIDSelectsItsClassEvenForAPlainClient() throws {
        var core = DHCPServerCore(mode: .authoritative, pool: Self.pool(), pxe: PXEResponder(configuration: .init()))
        let relayed = core.handle(Wire.client(.discover, Lab.mac(5)) {
            $0.giaddr = Lab.relay
            $0.set(.relayAgentInformation, [1, 11] + Array("rack1-port3".utf8))
        }, receipt: DHCPReceipt(interface: Lab.interface, sourcePort: 67), now: Lab.t0)
        let (offer, _) = try #require(Wire.reply(relayed))
        #expect(offer.yiaddr == IPv4Address(10, 1, 0, 10))
        #expect(try offer.value(.bootfileName) == "rack1.kpxe")
        #expect(offer.siaddr == Lab.server)
        let other = core.handle(Wire.client(.discover, Lab.mac(6)) {
            $0.giaddr = Lab.relay
            $0.set(.relayAgentInformation, [1, 11] + Array("rack2-port3".utf8))
        }, receipt: DHCPReceipt(interface: Lab.interface, sourcePort: 67), now: Lab.t0)
        #expect(Self.bootFile(other) == nil)
    }

    @Test func proxyModeHonoursClassesToo() throws {
        var core = DHCPServerCore(mode: .proxy, pool: Self.pool(), pxe: PXEResponder(configuration: .init()))
        let uefi = core.handle(Self.pxe(7, mac: Lab.mac(7)), receipt: Wire.receipt, now: Lab.t0)
        let (offer, _) = try #require(Wire.reply(uefi))
        #expect(try offer.yiaddr == .any && offer.value(.bootfileName) == "uefi/snponly.efi")
        #expect(offer.siaddr == IPv4Address(10, 0, 0, 9))
    }

    @Test func anInterfaceRuleUsesTheReceiptsInterfaceName() throws {
        var pool = Self.pool()
        pool.classifier.classes = [DHCPClientClass(name: "lab2", match: .init(interfaces: ["lab2"]),
                                                   boot: DHCPBootSettings(bootFile: "lab2.kpxe"))]
        var core = DHCPServerCore(mode: .authoritative, pool: pool, pxe: PXEResponder(configuration: .init()))
        let on = core.handle(Self.pxe(0, mac: Lab.mac(8)),
                             receipt: DHCPReceipt(interface: Lab.interface, interfaceName: "lab2"), now: Lab.t0)
        #expect(Self.bootFile(on) == "lab2.kpxe")
        let off = core.handle(Self.pxe(0, mac: Lab.mac(9)),
                              receipt: DHCPReceipt(interface: Lab.interface, interfaceName: "lab1"), now: Lab.t0)
        #expect(Self.bootFile(off) == "undionly.kpxe")
    }
}

/// Classes and options configured: mutated packets never trap and real clients still get answers.
@Suite struct ClassifiedCoreRobustnessTests {
    @Test func mutatedPacketsThroughClassesAndOptionsNeverTrap() throws {
        var pool = DHCPClassBootTests.pool()
        pool.options = [DHCPOptionData(code: DHCPOptionCode(42), data: [10, 0, 0, 1], alwaysSend: true)]
        pool.classifier.classes.append(DHCPClientClass(name: "all", match: .init(remoteIDs: [[1]], interfaces: ["x"]),
                                                       options: [DHCPOptionData(code: DHCPOptionCode(66), data: [0x61])]))
        var core = DHCPServerCore(mode: .authoritative, pool: pool, pxe: PXEResponder(configuration: .init()))
        var generator = SystemRandomNumberGenerator()
        let seeds = [DHCPClassBootTests.pxe(7, mac: Lab.mac(1)), Wire.client(.discover, Lab.mac(2)) {
            $0.giaddr = Lab.relay
            $0.set(.relayAgentInformation, [1, 11] + Array("rack1-port3".utf8) + [2, 1, 1])
            $0.setValue(.userClass, DHCPUserClass(raw: [4] + Array("iPXE".utf8)))
        }]
        for round in 0..<3000 {
            var bytes = seeds[round % 2]
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if round % 3 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))) }
            _ = core.handle(bytes, receipt: Wire.receipt, now: Lab.t0)
        }
        let exchange = core.handle(DHCPClassBootTests.pxe(7, mac: Lab.mac(3)), receipt: Wire.receipt, now: Lab.t0)
        #expect(try Wire.reply(exchange)?.0.value(.bootfileName) == "uefi/snponly.efi")
    }
}
