import NetbootWire
import Testing
@testable import BootImages

@Suite struct WireJoinTests {
    @Test func imageIDsAgreeWithTheCodec() {
        let image = makeImage(name: "GSU NetBoot", index: 1113, kind: 1, isInstall: true)
        #expect(image.bootImageID == BootImageID(isInstall: true, kind: .macOSX, index: 1113))
        #expect(image.bootImageID.rawValue == 0x8100_0459)  // reference §4 V5
        #expect(image.bsdpBootImage == BSDPBootImage(id: BootImageID(rawValue: 0x8100_0459), name: "GSU NetBoot"))
        let diag = makeImage(index: 3000, kind: 3)
        #expect(diag.attributes == BootImageID.attributes(isInstall: false, kind: .diagnostics))
        for kind: UInt8 in [0, 1, 2, 3, 4, 127] {
            for install in [false, true] {
                let value = makeImage(index: 0xABCD, kind: kind, isInstall: install)
                #expect(value.bootImageID.isInstall == install)
                #expect(value.bootImageID.kind.rawValue == kind)
            }
        }
    }

    @Test func clientFromTheDecodedVendorClass() throws {
        let mac = MACAddress(rawValue: 0x0011_2233_4455)
        let vendor = try BSDPVendorClass.parse(Array("AAPLBSDPC/i386/iMac14,3".utf8))
        let client = try #require(NetBootClient(mac: mac, vendorClass: vendor, attributeFilter: [0x0300]))
        #expect(client == NetBootClient(mac: mac, architecture: "i386", systemIdentifier: "iMac14,3", attributeFilter: [0x0300]))
        #expect(NetBootClient(mac: mac, vendorClass: .server, attributeFilter: nil) == nil)
        let catalog = ImageCatalog(directory: "/", images: [makeImage(index: 7)])
        #expect(catalog.select(imageID: BootImageID(rawValue: 0x0100_0007), for: client) == .selected(catalog.images[0]))
    }
}
