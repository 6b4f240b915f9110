import Testing
@testable import NetbootWire

/// BootImageID layout (BSDP 1.0.8 §3.4.2) and the option-60 vendor class (§3.4.2, bsdplib.c).
@Suite struct BSDPValueTests {
    @Test func bootImageIDLayout() throws {
        let id = BootImageID(rawValue: 0x8342_1234)
        #expect(id.isInstall)
        #expect(id.kind.rawValue == 3 && id.kind == .diagnostics)
        #expect(id.reserved == 0x42)
        #expect(id.attributes == 0x8342)
        #expect(id.index == 0x1234)
        #expect(id.bytes == [0x83, 0x42, 0x12, 0x34])
        #expect(BootImageID(bytes: [0x83, 0x42, 0x12, 0x34]) == id)
        #expect(BootImageID(attributes: 0x8342, index: 0x1234) == id)
        #expect(BootImageID(isInstall: false, kind: .macOSXServer, index: 7).rawValue == 0x0200_0007)
        #expect(BootImageID(isInstall: true, kind: try #require(BootImageKind(rawValue: 127)), index: 1).rawValue == 0xFF00_0001)
        #expect(BootImageKind(rawValue: 128) == nil)
        #expect(BootImageID.attributes(isInstall: true, kind: .macOSX) == 0x8100)
        #expect(BootImageID.attributes(isInstall: false, kind: .diagnostics) == 0x0300)
        #expect(BootImageID(rawValue: 0x7F00_0000).kind.rawValue == 127)
        #expect(!BootImageID(rawValue: 0x7F00_0000).isInstall)
    }

    @Test func indexRanges() {
        func id(_ index: UInt16) -> BootImageID { BootImageID(isInstall: false, kind: .macOSX, index: index) }
        #expect(!id(0).isValid && !id(0).isLocal && !id(0).isGlobal)
        #expect(id(1).isValid && id(1).isLocal && !id(1).isGlobal)
        #expect(id(4095).isLocal && !id(4095).isGlobal)
        #expect(!id(4096).isLocal && id(4096).isGlobal)
        #expect(id(65535).isGlobal)
        #expect(BootImageID(rawValue: 0x8100_0459).description == "0x81000459 (install, Mac OS X, index 1113)")
        #expect(BootImageID(rawValue: 0x0100_020E).description == "0x0100020e (Mac OS X, index 526)")
    }

    @Test func vendorClassAccepted() throws {
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC".utf8)) == .server)
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC".utf8)).isServer)
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC/ppc/PowerMac3,1".utf8)) == BSDPVendorClass(architecture: "ppc", systemIdentifier: "PowerMac3,1"))
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC/i386/Macmini7,1".utf8)).systemIdentifier == "Macmini7,1")
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC/arm".utf8)) == BSDPVendorClass(architecture: "arm", systemIdentifier: nil))
        // Apple's parser takes everything after the second '/' as the system identifier.
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC/i386/a/b".utf8)).systemIdentifier == "a/b")
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC/i386/".utf8)).systemIdentifier == "")
        for text in ["AAPLBSDPC", "AAPLBSDPC/i386", "AAPLBSDPC/i386/iMac12,1"] {
            #expect(try BSDPVendorClass.parse(Array(text.utf8)).bytes == Array(text.utf8))
        }
        #expect(BSDPVendorClass.hasBSDPPrefix(Array("AAPLBSDPCX".utf8)))
        #expect(!BSDPVendorClass.hasBSDPPrefix(Array("PXEClient:Arch:00000".utf8)))
    }

    @Test func vendorClassRejected() {
        let cases: [([UInt8], WireError.Kind)] = [
            (Array("AAPLBSDP".utf8), .badValue),
            (Array("aaplbsdpc/i386/x".utf8), .badValue),
            (Array("PXEClient".utf8), .badValue),
            ([], .badValue),
            (Array("AAPLBSDPCX".utf8), .badValue),
            (Array("AAPLBSDPC:i386".utf8), .badValue),
            (Array("AAPLBSDPC/".utf8), .badValue),
            (Array("AAPLBSDPC//MacBook1,1".utf8), .badValue),
            (Array("AAPLBSDPC/i386/Mac\n".utf8), .badString),
            (Array("AAPLBSDPC/i3\u{0}86/Mac".utf8), .badString),
            (Array("AAPLBSDPC/i386/".utf8) + [0xFF], .badString),
            (Array("AAPLBSDPC/".utf8) + [0xC3] + Array("/x".utf8), .badString),
        ]
        for (bytes, kind) in cases {
            let error = wireError { () throws(WireError) in try BSDPVendorClass.parse(bytes) }
            #expect(error?.kind == kind, "\(bytes)")
        }
    }
}
