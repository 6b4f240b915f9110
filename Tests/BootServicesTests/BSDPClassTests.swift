import Foundation
import NetbootWire
import Testing
@testable import BootImages
@testable import BootServices

/// BSDP honours client classes and reservations: `bsdp-images` limits what a Mac lists and may
/// select (issue 20).
@Suite struct BSDPClassTests {
    static func core(_ classifier: DHCPClientClassifier) -> DHCPServerCore {
        let responder = BSDPResponder(configuration: .init(serverPriority: 40000, serverName: "netboot",
                                                           tftpPathPrefix: "", httpBasePath: "/images"),
                                      catalog: ImageCatalog(directory: "/srv/images",
                                                            images: [BSDPResponderTests.image(1), BSDPResponderTests.image(2)]))
        var pool = Lab.configuration()
        pool.classifier = classifier
        return DHCPServerCore(mode: .proxy, pool: pool, bsdp: responder)
    }

    @Test func aClassLimitsTheListAndTheSelection() throws {
        let classifier = DHCPClientClassifier(classes: [
            DHCPClientClass(name: "labs", match: .init(vendorClassPrefixes: ["AAPLBSDPC/i386/MacBookPro"]),
                            boot: DHCPBootSettings(bsdpImages: ["Image 2"])),
        ])
        var core = Self.core(classifier)
        let exchange = core.handle(BSDPResponderTests.inform(BSDPResponderTests.list()), receipt: Wire.receipt, now: Lab.t0)
        let (ack, _) = try #require(Wire.reply(exchange))
        guard case .ackList(let list) = try BSDPResponderTests.decodeBSDP(ack) else { Issue.record("not ACK[LIST]"); return }
        #expect(list.images.map(\.name) == ["Image number 2"])
        #expect(list.defaultImage?.index == 2)
        #expect(exchange.reason.hasSuffix("[classes: labs]"))
        // Selecting an image outside the class: ACK[FAILED].
        let select = BSDPMessage.informSelect(BSDPSelectRequest(
            serverIdentifier: Lab.server, selectedImage: BootImageID(rawValue: BSDPResponderTests.image(1).bootImageIDValue)))
        let refused = core.handle(BSDPResponderTests.inform(select), receipt: Wire.receipt, now: Lab.t0)
        #expect(refused.reason.hasPrefix("ACK[FAILED]"))
        // Another model is in no class and sees both.
        let other = core.handle(BSDPResponderTests.inform(BSDPResponderTests.list(), model: "iMac14,3"), receipt: Wire.receipt, now: Lab.t0)
        guard case .ackList(let all) = try BSDPResponderTests.decodeBSDP(try #require(Wire.reply(other)).0) else { return }
        #expect(all.images.count == 2)
    }

    @Test func aReservationPinsOneMacToItsImage() throws {
        var core = Self.core(DHCPClientClassifier(hosts: [
            BSDPResponderTests.mac: DHCPHostSettings(boot: DHCPBootSettings(bsdpImages: ["Image 1.nbi"])),
        ]))
        let exchange = core.handle(BSDPResponderTests.inform(BSDPResponderTests.list()), receipt: Wire.receipt, now: Lab.t0)
        guard case .ackList(let list) = try BSDPResponderTests.decodeBSDP(try #require(Wire.reply(exchange)).0) else { return }
        #expect(list.images.map(\.name) == ["Image number 1"])
    }
}
