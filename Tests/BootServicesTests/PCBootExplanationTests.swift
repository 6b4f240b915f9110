import NetbootWire
import Testing
@testable import BootServices

/// `explain --firmware`: each stage's classes, boot file and source, by the server's own rules.
@Suite struct PCBootExplanationTests {
    static let classifier = DHCPClientClassifier(classes: [
        DHCPClientClass(name: "uefi", match: .init(vendorClassPrefixes: ["PXEClient"], architectures: [7]),
                        boot: DHCPBootSettings(bootFile: "snponly.efi", nextServer: IPv4Address(10, 0, 0, 9))),
        DHCPClientClass(name: "ipxe", match: .init(userClasses: ["iPXE"]),
                        boot: DHCPBootSettings(ipxeScript: "http://{server}/c/{mac}.ipxe")),
    ])

    @Test func uefiAndBiosClientsAreExplainedStageByStage() {
        let pxe = PXEResponder(configuration: .init())
        let mac = MACAddress("52:54:00:00:00:07")!
        let uefi = PCBootExplanation(mac: mac, firmware: .uefi, classifier: Self.classifier, pxe: pxe, server: Lab.server)
        #expect(uefi.stages.map(\.classes) == [["uefi"], ["uefi", "ipxe"]])
        #expect(uefi.stages[0].bootFile == "snponly.efi" && uefi.stages[0].nextServer == "10.0.0.9")
        #expect(uefi.stages[0].source == "class uefi")
        #expect(uefi.stages[1].bootFile == "http://10.0.0.2/c/52:54:00:00:00:07.ipxe" && uefi.stages[1].nextServer == nil)
        #expect(uefi.stages[1].source == "class ipxe")
        let bios = PCBootExplanation(mac: mac, firmware: .bios, classifier: DHCPClientClassifier(), pxe: pxe, server: Lab.server)
        #expect(bios.stages[0].bootFile == "undionly.kpxe" && bios.stages[0].source == "pxe.bios")
        #expect(bios.stages[1].bootFile == "http://10.0.0.2/boot/ipxe?mac=52:54:00:00:00:07")
        #expect(bios.stages[1].source == "pxe.ipxe-script-url")
        #expect(bios.lines.first == "52:54:00:00:00:07 booting with bios firmware (option 60 PXEClient:Arch:00000:UNDI:003016, option 93 0)")
        let http = PCBootExplanation(mac: mac, firmware: .uefiHTTP, classifier: DHCPClientClassifier(), pxe: pxe, server: Lab.server)
        #expect(http.stages[0].bootFile == "http://10.0.0.2/ipxe.efi" && http.stages[0].source == "pxe.http-boot-url")
        #expect(http.stages[0].vendorClass.hasPrefix("HTTPClient:Arch:00016"))
    }

    @Test func theAppliancesScriptIsTheThirdStage() {
        let pxe = PXEResponder(configuration: .init())
        let mac = MACAddress("52:54:00:00:00:07")!
        let images = [IPXEImage(name: "debian", kernel: "pxe/debian/vmlinuz"), IPXEImage(name: "alpine", kernel: "pxe/alpine/vmlinuz")]
        let menu = PCBootExplanation(mac: mac, firmware: .bios, classifier: DHCPClientClassifier(), pxe: pxe, server: Lab.server,
                                     menu: IPXEBootMenu(images: images))
        #expect(menu.stages.count == 3 && menu.stages[2].menu == ["debian", "alpine"])
        let assigned = PCBootExplanation(mac: mac, firmware: .bios, classifier: DHCPClientClassifier(), pxe: pxe, server: Lab.server,
                                         menu: IPXEBootMenu(images: images, defaultImage: "alpine"))
        #expect(assigned.stages[2].image == "alpine" && assigned.stages[2].bootFile == "pxe/alpine/vmlinuz")
        #expect(assigned.lines.last == "  boots image alpine (kernel pxe/alpine/vmlinuz) — from pxe.images / pxe.default-image")
        // A class's own script URL is not the appliance's: no third stage.
        let other = PCBootExplanation(mac: mac, firmware: .uefi, classifier: Self.classifier, pxe: pxe, server: Lab.server,
                                      menu: IPXEBootMenu(images: images))
        #expect(other.stages.count == 2)
    }

    @Test func arm64UEFIGetsTheArm64BootFile() {
        let none = PXEResponder(configuration: .init())
        let arm = PCBootExplanation(mac: Lab.mac(1), firmware: .uefiArm64, classifier: DHCPClientClassifier(), pxe: none,
                                    server: Lab.server)
        #expect(arm.stages[0].bootFile == "ipxe-arm64.efi" && arm.stages[0].source == "pxe.uefi-arm64")
    }
}
