import NetbootWire
import Testing

@testable import BootServices

/// The bridge's discovery values in every iPXE script (docs/bridge.md, "Discovery").
@Suite struct IPXEDiscoveryTests {
    static let discovery = IPXEDiscovery(
        variables: [(name: "netboot-bridge", value: "https://{host}:8761"), (name: "netboot-bridge-fingerprint", value: "AB:CD")],
        kernelArguments: ["netboot.bridge=https://{host}:8761", "netboot.bridge_fp=AB:CD"])

    @Test func variablesAndKernelArgumentsReachTheScript() {
        var menu = IPXEBootMenu(images: [IPXEBootMenuTests.debian], defaultImage: "debian")
        menu.discovery = Self.discovery
        #expect(menu.script(for: IPXEBootMenuTests.client) == """
            #!ipxe
            set netboot-bridge https://198.51.100.1:8761
            set netboot-bridge-fingerprint AB:CD
            kernel http://198.51.100.1:8080/images/pxe/debian/vmlinuz initrd=initrd.gz auto \
            url=http://198.51.100.1:8080/preseed/52:54:00:12:34:56.cfg ip=198.51.100.2 \
            netboot.bridge=https://198.51.100.1:8761 netboot.bridge_fp=AB:CD
            initrd --name initrd.gz http://198.51.100.1:8080/images/pxe/debian/initrd.gz
            boot

            """)
    }

    @Test func everyMenuEntryCarriesTheArguments() {
        var menu = IPXEBootMenu(images: [IPXEBootMenuTests.debian, IPXEBootMenuTests.alpine])
        menu.discovery = Self.discovery
        let script = menu.script(for: .init(mac: nil, ip: "1", server: "boot.lab"))
        #expect(script.components(separatedBy: "netboot.bridge=https://boot.lab:8761 netboot.bridge_fp=AB:CD").count == 3)
        #expect(script.contains("set netboot-bridge https://boot.lab:8761\n"))
    }

    @Test func aHostileServerNameCannotAddLines() {
        var menu = IPXEBootMenu(images: [IPXEBootMenuTests.debian], defaultImage: "debian")
        menu.discovery = Self.discovery
        let script = menu.script(for: .init(mac: nil, ip: "1", server: "s\nshell"))
        #expect(!script.contains("\nshell"))
    }

    @Test func aSessionsArgumentsFollowTheDiscoveryArgumentsOnEveryEntry() {
        var menu = IPXEBootMenu(images: [IPXEBootMenuTests.debian, IPXEBootMenuTests.alpine])
        menu.discovery = Self.discovery
        let session = IPXEBootSession(kernelArguments: ["netboot.token=nbt_x"])
        let script = menu.script(for: .init(mac: nil, ip: "1", server: "boot.lab"), session: session)
        #expect(script.components(separatedBy: "netboot.bridge_fp=AB:CD netboot.token=nbt_x\n").count == 3, "\(script)")
        #expect(!menu.script(for: .init(mac: nil, ip: "1", server: "boot.lab")).contains("netboot.token"))
    }

    @Test func aLocalBootSessionExitsToTheFirmwareWithItsReason() {
        var menu = IPXEBootMenu(images: [IPXEBootMenuTests.debian], defaultImage: "debian")
        menu.discovery = Self.discovery
        let session = IPXEBootSession(localBoot: "run r1 applied its image\nshell", kernelArguments: ["netboot.token=nbt_x"])
        #expect(menu.script(for: IPXEBootMenuTests.client, session: session) == """
            #!ipxe
            echo netboot: booting from the local disk: run r1 applied its image shell
            exit 1

            """)
    }

    @Test func hostOfServer() {
        #expect(IPXEDiscovery.host(of: "10.0.0.1:8080") == "10.0.0.1")
        #expect(IPXEDiscovery.host(of: "[fe80::1]:80") == "fe80::1")
        #expect(IPXEDiscovery.host(of: "boot") == "boot")
        #expect(IPXEDiscovery.host(of: "fe80::1") == "fe80::1")
    }
}
