import Foundation
import LocatedYAML
import NetbootWire
import Testing
@testable import NetbootConfig

/// The one line (without source and caret) of each diagnostic, in file order.
func lines(_ yaml: String) -> [String] {
    NetbootConfiguration.parse(yaml, file: "t.yaml").diagnostics.sorted { $0.location < $1.location }.map(\.description)
}

@Suite struct DefaultsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let shippedFile = repository.appendingPathComponent("etc/netboot.yaml").path

    @Test func shippedFileIsExactlyTheEmbeddedDefaults() {
        let result = NetbootConfiguration.load(contentsOf: Self.shippedFile)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.configuration == NetbootConfiguration.defaults)
    }

    @Test func shippedFileSpellsOutEveryKey() {
        let result = NetbootConfiguration.load(contentsOf: Self.shippedFile)
        // Keys of list entries (`tftp.client-classes[0].network`) are examples, not defaults.
        let missing = result.declaredKeys.subtracting(result.writtenKeys).filter { !$0.contains("[") }.sorted()
        #expect(missing.isEmpty, "keys not written in etc/netboot.yaml: \(missing)")
        #expect(result.declaredKeys.count > 40)
    }

    @Test func emptyFileAndEmptySectionsGiveDefaults() {
        for text in ["", "# nothing\n", "tftp:\nhttp: {}\n", "interfaces:\n"] {
            let result = NetbootConfiguration.parse(text, file: "e.yaml")
            #expect(result.diagnostics.isEmpty, "\(text): \(result.diagnostics)")
            #expect(result.configuration == .defaults)
        }
    }

    @Test func defaultValuesAreTheIssuesValues() {
        let d = NetbootConfiguration.defaults
        #expect(d.interfaces == [] && d.serverAddress == .auto && d.stateDir == "var" && d.imagesDir == "images")
        #expect(d.logs.dir == "var/log" && d.logs.sizeLimit == 1_048_576 && d.logs.maxFiles == 10)
        #expect(d.dhcp.enabled && d.dhcp.mode == .proxy && d.dhcp.port == 67)
        #expect(d.bsdp.enabled && d.bsdp.serverPriority == 32768)
        #expect(d.tftp.enabled && d.tftp.port == 69 && d.tftp.root == "images" && d.tftp.maxBlksize == 1468)
        #expect(d.tftp.maxWindowsize == 64 && d.tftp.uploadDir == nil)
        #expect(d.http.enabled && d.http.port == 80 && d.http.root == "images" && !d.http.directoryListing)
        #expect(d.pxe.bios == "undionly.kpxe" && d.pxe.uefiX64 == "ipxe.efi" && d.pxe.uefiArm64 == "ipxe-arm64.efi")
        #expect(d.pxe.httpBootURL == "http://{server}/ipxe.efi")
        #expect(d.pxe.ipxeScriptURL == "http://{server}/boot/ipxe?mac={mac}")
    }
}

@Suite struct ValueTests {
    @Test func authoritativeExampleOfIssue3() throws {
        let yaml = """
        server-address: 10.0.0.1
        dhcp:
          mode: authoritative
          subnets:
            - subnet: 10.0.0.0/24
              range: [10.0.0.100, 10.0.0.199]
              router: 10.0.0.1
              dns: [10.0.0.1]
              domain: lab.example
              lease-time: 3600
          reservations:
            - { mac: "52:54:00:12:34:56", address: 10.0.0.50, hostname: mac-01 }
        tftp: { upload-dir: var/uploads, client-classes: [{ network: 10.0.0.0/25, max-blksize: 512 }] }
        pxe:
          images:
            - { name: debian, kernel: vmlinuz, initrd: initrd.img, cmdline: "console=ttyS0" }
          default-image: debian
        """
        let result = NetbootConfiguration.parse(yaml, file: "a.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let c = result.configuration
        #expect(c.serverAddress == .fixed(IPv4Address(10, 0, 0, 1)))
        #expect(c.dhcp.mode == .authoritative)
        let subnet = try #require(c.dhcp.subnets.first)
        #expect(subnet.subnet == IPv4Subnet("10.0.0.0/24"))
        #expect(subnet.range == IPv4Address(10, 0, 0, 100)...IPv4Address(10, 0, 0, 199))
        #expect(subnet.router == IPv4Address(10, 0, 0, 1) && subnet.dns == [IPv4Address(10, 0, 0, 1)])
        #expect(subnet.domain == "lab.example" && subnet.leaseTime == 3600)
        #expect(c.dhcp.reservations == [.init(mac: MACAddress("52:54:00:12:34:56")!, address: IPv4Address(10, 0, 0, 50), hostname: "mac-01")])
        #expect(c.tftp.uploadDir == "var/uploads")
        #expect(c.tftp.clientClasses == [.init(network: IPv4Subnet("10.0.0.0/25"), maxBlksize: 512)])
        #expect(c.pxe.images == [.init(name: "debian", kernel: "vmlinuz", initrd: "initrd.img", cmdline: "console=ttyS0")])
        #expect(c.pxe.defaultImage == "debian")
    }

    @Test func prefixes() {
        #expect(IPv4Subnet("10.0.0.0/24")?.broadcast == IPv4Address(10, 0, 0, 255))
        #expect(IPv4Subnet("0.0.0.0/0")?.contains(IPv4Address(1, 2, 3, 4)) == true)
        #expect(IPv4Subnet("10.0.0.7/32")?.mask == IPv4Address(255, 255, 255, 255))
        #expect(IPv4Subnet("10.0.0.5/24") == nil)
        #expect(IPv4Subnet("10.0.0.0/33") == nil)
        #expect(IPv4Subnet("10.0.0.0") == nil)
        #expect(IPv4Subnet("10.0.0.0/") == nil)
        #expect(IPv4Subnet("10.0.0.0/24")!.overlaps(IPv4Subnet("10.0.0.128/25")!))
        #expect(!IPv4Subnet("10.0.0.0/24")!.overlaps(IPv4Subnet("10.0.1.0/24")!))
    }
}
