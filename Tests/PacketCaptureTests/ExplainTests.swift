@testable import BootImages
import Foundation
import NetbootWire
import TaskSequence
import Testing
@testable import PacketCapture

/// `netboot explain`: every filter reason of BootImages, as the server decides it, and the
/// inventory's collections and deployments.
@Suite struct ExplainTests {
    static func image(_ name: String, index: UInt16, isDefault: Bool = false, isEnabled: Bool = true,
                      isFilterOnly: Bool = false, architectures: [String] = ["i386"], enabledModels: [String] = [],
                      disabledModels: [String] = [], enabledMACs: [MACAddress] = [],
                      disabledMACs: [MACAddress] = []) -> NetBootImage {
        NetBootImage(folder: "\(name).nbi", name: name, index: index, kind: 1, isInstall: false,
                     isDefault: isDefault, isEnabled: isEnabled, isFilterOnly: isFilterOnly, type: .http,
                     bootFile: "booter", architectures: architectures, topLevelBootFileArchitectures: [],
                     rootPath: .local(file: "NetBoot.dmg"), enabledSystemIdentifiers: enabledModels,
                     disabledSystemIdentifiers: disabledModels, enabledMACAddresses: enabledMACs,
                     disabledMACAddresses: disabledMACs, supportsDiskless: false, loadBalanceServer: nil,
                     imageDescription: nil, language: nil, osVersion: nil, warnings: [])
    }

    static let mac = MACAddress(rawValue: 0x001C_4200_0001)
    static let catalog = ImageCatalog(directory: "images", images: [
        image("Offered", index: 1, isDefault: true),
        image("Disabled", index: 2, isEnabled: false),
        image("PowerPC", index: 3, architectures: ["ppc"]),
        image("iMacs", index: 4, enabledModels: ["iMac18,3"]),
        image("NoLaptops", index: 5, disabledModels: ["MacBookPro11,1"]),
        image("Banned", index: 6, disabledMACs: [mac]),
        image("OthersOnly", index: 7, enabledMACs: [MACAddress(rawValue: 0x0200_0000_0001)]),
        image("Diagnostics", index: 8, isFilterOnly: true),
    ])

    static func explain(filter: [UInt16]? = nil, inventory: Inventory? = nil) -> ClientExplanation {
        ClientExplanation(client: NetBootClient(mac: mac, architecture: "i386", systemIdentifier: "MacBookPro11,1",
                                                attributeFilter: filter),
                          catalog: catalog, inventory: inventory)
    }

    @Test func everyReasonIsNamed() {
        let explanation = Self.explain()
        let codes = explanation.decision.eligibility.map { $0.reasons.map(\.code) }
        #expect(codes == [[], ["disabled"], ["architecture"], ["model-not-enabled"], ["model-disabled"],
                          ["mac-disabled"], ["mac-not-enabled"], ["filter-only"]])
        let lines = explanation.lines
        #expect(lines[0] == "client 00:1c:42:00:00:01 architecture i386 model MacBookPro11,1 attribute filter none")
        #expect(lines[1] == "images (8):")
        #expect(lines[2] == "  0x01000001 \"Offered\": offered, default (IsDefault)")
        #expect(lines[3].contains("\"Disabled\": not offered: the image is disabled"))
        #expect(lines[4].contains("architecture i386 is not in Architectures [ppc]"))
        #expect(lines[5].contains("model MacBookPro11,1 is not in EnabledSystemIdentifiers [iMac18,3]"))
        #expect(lines[6].contains("model MacBookPro11,1 is in DisabledSystemIdentifiers"))
        #expect(lines[7].contains("MAC 00:1c:42:00:00:01 is in DisabledMACAddresses"))
        #expect(lines[8].contains("MAC 00:1c:42:00:00:01 is not in EnabledMACAddresses"))
        #expect(lines[9].contains("FilterOnly and the client sent no attribute filter list"))
        #expect(lines.last == "collections: no inventory given (--inventory FILE)")
    }

    @Test func attributeFilterReason() {
        // The client asks for install images of kind 1 only (0x8100): the non-install kind-1
        // images (attributes 0x0100) fall out for that reason, the FilterOnly one is now allowed
        // by its filter-only flag but not by the filter.
        let explanation = Self.explain(filter: [0x8100])
        let offered = explanation.decision.eligibility[0]
        #expect(offered.reasons.map(\.code) == ["attribute-filter"])
        #expect(explanation.decision.eligibility[7].reasons.map(\.code) == ["attribute-filter"])
        #expect(explanation.lines[0].hasSuffix("attribute filter [0x8100]"))
        #expect(explanation.lines.contains { $0.contains("attributes 0x0100 are not in the client's filter list [0x8100]") })
        #expect(explanation.lines.contains("  no image applies: the server does not answer this client's INFORM[LIST]"))
        let matching = Self.explain(filter: [0x0100])
        #expect(matching.decision.offered.map(\.name) == ["Offered", "Diagnostics"])
    }

    @Test func collectionsAndDeployments() throws {
        let yaml = """
            devices:
              - name: lab-mac-01
                mac: 00:1c:42:00:00:01
                model: MacBookPro11,1
            collections:
              - name: Lab Macs
                members: [lab-mac-01]
              - name: Laptops
                rules:
                  - model: "MacBook*"
              - name: Desktops
                rules:
                  - model: "iMac*"
            deployments:
              - sequence: lab-image
                collection: Lab Macs
              - sequence: desktop-image
                collection: Desktops
            """
        let (inventory, diagnostics) = Linter.inventory(data: Data(yaml.utf8), file: "inventory.yaml")
        #expect(diagnostics.isEmpty)
        let explanation = Self.explain(inventory: inventory)
        #expect(explanation.collections == ["Lab Macs", "Laptops"])
        #expect(explanation.lines.suffix(2) == ["collections: Lab Macs, Laptops",
                                                 "deployed sequences: lab-image (via Lab Macs)"])
    }
}
