import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// PXE per architecture, UEFI HTTP boot and iPXE, in proxy mode (proxyDHCP) and authoritative mode.
@Suite struct PXEResponderTests {
    let pxe = PXEResponder(configuration: .init(bios: "undionly.kpxe", uefiX64: "ipxe.efi", uefiArm64: "ipxe-arm64.efi",
                                                httpBootURL: "http://{server}/ipxe.efi",
                                                ipxeScriptURL: "http://{server}/boot/ipxe?mac={mac}"))

    func pxeDiscover(arch: UInt16, vendor: String? = nil, mac: MACAddress = Lab.mac(1),
                     configure: (inout DHCPMessage) -> Void = { _ in }) -> [UInt8] {
        Wire.client(.discover, mac) {
            let text = vendor ?? String(format: "PXEClient:Arch:%05d:UNDI:003016", arch)
            $0.setValue(.vendorClassIdentifier, text)
            $0.set(.clientSystemArchitecture, [UInt8(arch >> 8), UInt8(arch & 0xFF)])
            $0.set(.clientMachineIdentifier, [0] + [UInt8](repeating: 7, count: 16))
            configure(&$0)
        }
    }

    @Test(arguments: [(UInt16(0), "undionly.kpxe"), (7, "ipxe.efi"), (9, "ipxe.efi"), (11, "ipxe-arm64.efi")])
    func proxyOfferCarriesTheBootFileOfTheArchitecture(arch: UInt16, file: String) throws {
        var core = DHCPServerCore(mode: .proxy, pxe: pxe)
        let exchange = core.handle(pxeDiscover(arch: arch), receipt: Wire.receipt, now: Lab.t0)
        let (offer, outgoing) = try #require(Wire.reply(exchange))
        #expect(offer.messageType == .offer)
        #expect(offer.yiaddr == .any)
        #expect(offer.siaddr == Lab.server)
        #expect(offer.bootFileName == file)
        #expect(try offer.value(.bootfileName) == file)
        #expect(try offer.value(.vendorClassIdentifier) == "PXEClient")
        #expect(offer.data(for: .vendorSpecificInformation) == [6, 1, 8, 255])
        #expect(try offer.value(.serverIdentifier) == Lab.server)
        #expect(outgoing.destination == .broadcast)
        #expect(exchange.writes.isEmpty)
    }

    @Test func unknownArchitectureIsDroppedWithItsReason() {
        var core = DHCPServerCore(mode: .proxy, pxe: pxe)
        let exchange = core.handle(pxeDiscover(arch: 6), receipt: Wire.receipt, now: Lab.t0)
        #expect(exchange.reasonLabel == "pxe")
        #expect(exchange.reason.contains("architecture 6"))
    }

    @Test func httpBootClientGetsTheURLAndHTTPClient() throws {
        var core = DHCPServerCore(mode: .proxy, pxe: pxe)
        let exchange = core.handle(pxeDiscover(arch: 16, vendor: "HTTPClient:Arch:00016:UNDI:003001"),
                                   receipt: Wire.receipt, now: Lab.t0)
        let (offer, _) = try #require(Wire.reply(exchange))
        #expect(try offer.value(.vendorClassIdentifier) == "HTTPClient")
        #expect(try offer.value(.bootfileName) == "http://10.0.0.2/ipxe.efi")
        #expect(offer.data(for: .vendorSpecificInformation) == nil)
    }

    @Test func iPXEGetsTheScriptURLWithServerAndMAC() throws {
        var core = DHCPServerCore(mode: .proxy, pxe: pxe)
        let byUserClass = core.handle(pxeDiscover(arch: 7) { $0.set(.userClass, Array("iPXE".utf8)) },
                                      receipt: Wire.receipt, now: Lab.t0)
        let (offer, _) = try #require(Wire.reply(byUserClass))
        #expect(offer.bootFileName == "http://10.0.0.2/boot/ipxe?mac=\(Lab.mac(1))")
        let byOption175 = core.handle(pxeDiscover(arch: 0) { $0.set(.ipxeEncapsulated, [19, 1, 1]) },
                                      receipt: Wire.receipt, now: Lab.t0)
        #expect(Wire.reply(byOption175)?.0.bootFileName?.hasPrefix("http://10.0.0.2/boot/ipxe?mac=") == true)
    }

    @Test func proxyAnswersRequestsOnlyOnPort4011() throws {
        var core = DHCPServerCore(mode: .proxy, pxe: pxe)
        let request = Wire.client(.request, Lab.mac(1)) {
            $0.setValue(.vendorClassIdentifier, "PXEClient:Arch:00007:UNDI:003016")
            $0.set(.clientSystemArchitecture, [0, 7])
            $0.ciaddr = IPv4Address(10, 0, 0, 150)
        }
        #expect(core.handle(request, receipt: Wire.receipt, now: Lab.t0).reasonLabel == "pxe")
        // Even naming our server identifier (a DHCP server sharing our address) it is not ours on 67.
        var named = (try? DHCPMessage(decoding: request)) ?? DHCPMessage(op: .bootRequest, xid: 0)
        named.setValue(.serverIdentifier, Lab.server)
        #expect(core.handle((try? named.encode()) ?? [], receipt: Wire.receipt, now: Lab.t0).reasonLabel == "pxe")
        let on4011 = DHCPReceipt(interface: Lab.interface, sourcePort: 68, localPort: 4011)
        let exchange = core.handle(request, receipt: on4011, now: Lab.t0)
        let (ack, outgoing) = try #require(Wire.reply(exchange))
        #expect(ack.messageType == .ack && ack.yiaddr == .any && ack.bootFileName == "ipxe.efi")
        #expect(outgoing.destination == .unicast(IPv4Address(10, 0, 0, 150)) && outgoing.destinationPort == 68)
    }

    @Test func authoritativeOfferCarriesAddressAndBootFile() throws {
        var core = Wire.authoritative(pxe: pxe)
        let exchange = core.handle(pxeDiscover(arch: 11), receipt: Wire.receipt, now: Lab.t0)
        let (offer, _) = try #require(Wire.reply(exchange))
        #expect(offer.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(offer.bootFileName == "ipxe-arm64.efi" && offer.siaddr == Lab.server)
        #expect(exchange.core == "lease+pxe")
    }
}
