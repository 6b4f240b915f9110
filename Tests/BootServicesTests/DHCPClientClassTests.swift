import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// Client classes: each match rule kind, membership by reservation, boot settings merged host
/// first, then classes in order (issue 20).
@Suite struct DHCPClientClassTests {
    static let pxe = DHCPClientFacts(mac: MACAddress("52:54:00:aa:bb:cc"), vendorClass: Array("PXEClient:Arch:00007:UNDI:003016".utf8),
                                     architectures: [7], interface: "eth1")

    @Test func eachRuleKindMatchesAndMisses() {
        typealias M = DHCPClientClass.Match
        #expect(M(vendorClassPrefixes: ["PXEClient"]).matches(Self.pxe))
        #expect(!M(vendorClassPrefixes: ["HTTPClient"]).matches(Self.pxe))
        #expect(!M(vendorClassPrefixes: ["PXEClient"]).matches(DHCPClientFacts(mac: Lab.mac(1))))
        #expect(M(architectures: [7, 9]).matches(Self.pxe))
        #expect(!M(architectures: [0]).matches(Self.pxe))
        #expect(M(macPrefixes: [[0x52, 0x54, 0x00]]).matches(Self.pxe))
        #expect(!M(macPrefixes: [[0x52, 0x54, 0x01]]).matches(Self.pxe))
        #expect(M(interfaces: ["eth1"]).matches(Self.pxe) && !M(interfaces: ["eth0"]).matches(Self.pxe))
        // iPXE's raw user class and an RFC 3004 list both match by value.
        let ipxe = DHCPClientFacts(userClass: DHCPUserClass(text: "iPXE"))
        #expect(M(userClasses: ["iPXE"]).matches(ipxe))
        let rfc3004 = DHCPClientFacts(userClass: DHCPUserClass(raw: [3] + Array("lab".utf8) + [4] + Array("gpu1".utf8)))
        #expect(M(userClasses: ["gpu1"]).matches(rfc3004) && !M(userClasses: ["gpu"]).matches(rfc3004))
        let relayed = DHCPClientFacts(circuitID: Array("eth0/1".utf8), remoteID: [0xde, 0xad])
        #expect(M(circuitIDs: [Array("eth0/1".utf8)]).matches(relayed) && !M(circuitIDs: [Array("eth0/2".utf8)]).matches(relayed))
        #expect(M(remoteIDs: [[0xde, 0xad]]).matches(relayed) && !M(remoteIDs: [[0xde]]).matches(relayed))
        // All rules written must hold; an empty match holds for no one.
        #expect(!M(vendorClassPrefixes: ["PXEClient"], architectures: [0]).matches(Self.pxe))
        #expect(M(vendorClassPrefixes: ["PXEClient"], architectures: [7]).matches(Self.pxe))
        #expect(!M().matches(Self.pxe))
    }

    @Test func factsAreReadFromTheMessage() throws {
        var message = DHCPMessage(op: .bootRequest, xid: 1, mac: Lab.mac(5))
        message.setValue(.vendorClassIdentifier, "PXEClient:Arch:00000")
        message.setValue(.clientSystemArchitecture, [DHCPClientArchitecture(rawValue: 0)])
        message.setValue(.userClass, DHCPUserClass(text: "iPXE"))
        message.set(.relayAgentInformation, [1, 3] + Array("c-1".utf8) + [2, 2, 9, 9])
        let facts = DHCPClientFacts(message: message, interface: "eth2")
        #expect(facts.architectures == [0] && facts.mac == Lab.mac(5) && facts.interface == "eth2")
        #expect(facts.circuitID == Array("c-1".utf8) && facts.remoteID == [9, 9])
        #expect(facts.userClass?.text == "iPXE")
        // A malformed option 82 or 93 reads as absent.
        message.set(.relayAgentInformation, [1, 9, 1])
        message.set(.clientSystemArchitecture, [0])
        let broken = DHCPClientFacts(message: message, interface: nil)
        #expect(broken.circuitID == nil && broken.architectures == [])
    }

    @Test func profileMergesHostThenClassesInOrder() {
        let classifier = DHCPClientClassifier(classes: [
            DHCPClientClass(name: "uefi", match: .init(architectures: [7]),
                            boot: DHCPBootSettings(bootFile: "uefi.efi", nextServer: IPv4Address(10, 0, 0, 9))),
            DHCPClientClass(name: "qemu", match: .init(macPrefixes: [[0x52, 0x54, 0x00]]),
                            boot: DHCPBootSettings(bootFile: "qemu.efi", ipxeScript: "http://{server}/qemu.ipxe")),
            DHCPClientClass(name: "tagged"),
            DHCPClientClass(name: "bios", match: .init(architectures: [0])),
        ], hosts: [MACAddress("52:54:00:aa:bb:cc")!: DHCPHostSettings(classes: ["tagged"],
                                                                       boot: DHCPBootSettings(nextServer: IPv4Address(10, 0, 0, 7)))])
        let profile = classifier.profile(for: Self.pxe)
        #expect(profile.classes == ["uefi", "qemu", "tagged"])
        #expect(profile.boot == DHCPBootSettings(bootFile: "uefi.efi", nextServer: IPv4Address(10, 0, 0, 7),
                                                 ipxeScript: "http://{server}/qemu.ipxe"))
        #expect(profile.bootSources == ["boot-file": "class uefi", "next-server": "host", "ipxe-script": "class qemu"])
        // Another MAC: no host settings, no tag.
        var other = Self.pxe
        other.mac = Lab.mac(1)
        #expect(classifier.profile(for: other).classes == ["uefi"])
    }
}
