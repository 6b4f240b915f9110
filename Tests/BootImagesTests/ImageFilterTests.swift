import NetbootWire
import Testing
@testable import BootImages

@Suite struct ImageFilterTests {
    let mac = MACAddress(rawValue: 0x001B_63A0_0001)
    let other = MACAddress(rawValue: 0x001B_63A0_00FF)

    func client(_ arch: String = "i386", model: String? = "MacBookPro11,2", mac: MACAddress? = nil,
                filter: [UInt16]? = nil) -> NetBootClient {
        NetBootClient(mac: mac ?? self.mac, architecture: arch, systemIdentifier: model, attributeFilter: filter)
    }

    func reasons(_ image: NetBootImage, _ client: NetBootClient, _ purpose: FilterPurpose = .list) -> [FilterReason] {
        ImageEligibility(image: image, client: client, purpose: purpose).reasons
    }

    @Test func eligibleWhenNothingRestricts() {
        let verdict = ImageEligibility(image: makeImage(), client: client())
        #expect(verdict.verdict == .eligible && verdict.reasons.isEmpty)
    }

    @Test func disabledImage() {
        #expect(reasons(makeImage(isEnabled: false), client()) == [.imageDisabled])
    }

    @Test func architecture() {
        #expect(reasons(makeImage(architectures: ["ppc"]), client("i386"))
            == [.architectureUnsupported(client: "i386", supported: ["ppc"])])
        #expect(reasons(makeImage(architectures: ["ppc", "i386"]), client("i386")).isEmpty)
    }

    @Test func enabledModels() {
        let image = makeImage(enabledModels: ["Macmini7,1", "iMac14,3"])
        #expect(reasons(image, client(model: "MacBookPro11,2")) == [.modelNotEnabled(client: "MacBookPro11,2", enabled: ["Macmini7,1", "iMac14,3"])])
        #expect(reasons(image, client(model: "iMac14,3")).isEmpty)
        #expect(reasons(image, client(model: nil)) == [.modelNotEnabled(client: nil, enabled: ["Macmini7,1", "iMac14,3"])])
        // Exact match, as Apple's strcmp.
        #expect(!reasons(image, client(model: "imac14,3")).isEmpty)
    }

    @Test func disabledModels() {
        let image = makeImage(disabledModels: ["iMac12,1"])
        #expect(reasons(image, client(model: "iMac12,1")) == [.modelDisabled("iMac12,1")])
        #expect(reasons(image, client(model: "iMac13,1")).isEmpty)
        #expect(reasons(image, client(model: nil)).isEmpty)
    }

    @Test func macLists() {
        #expect(reasons(makeImage(disabledMACs: [mac]), client()) == [.macDisabled(mac)])
        #expect(reasons(makeImage(enabledMACs: [other]), client()) == [.macNotEnabled(mac)])
        #expect(reasons(makeImage(enabledMACs: [mac]), client()).isEmpty)
        // Disabled wins over enabled; both facts are reported.
        #expect(reasons(makeImage(enabledMACs: [mac], disabledMACs: [mac]), client()) == [.macDisabled(mac)])
        #expect(reasons(makeImage(enabledMACs: [other], disabledMACs: [mac]), client()) == [.macDisabled(mac), .macNotEnabled(mac)])
    }

    @Test func filterOnlyNeedsAFilterList() {
        let diag = makeImage(index: 3000, kind: 3, isFilterOnly: true)
        #expect(reasons(diag, client()) == [.filterOnly])
        #expect(reasons(diag, client(filter: [0x0300])).isEmpty)
        #expect(reasons(diag, client(filter: [0x8100])) == [.attributesNotRequested(image: 0x0300, requested: [0x8100])])
    }

    @Test func attributeFilterMustHoldTheImageAttributes() {
        let install = makeImage(kind: 1, isInstall: true)
        #expect(reasons(install, client(filter: [0x0100, 0x0300])) == [.attributesNotRequested(image: 0x8100, requested: [0x0100, 0x0300])])
        #expect(reasons(install, client(filter: [0x0100, 0x8100])).isEmpty)
        #expect(reasons(install, client(filter: [])) == [.attributesNotRequested(image: 0x8100, requested: [])])
    }

    @Test func selectSkipsAttributeChecksLikeApple() {
        let diag = makeImage(index: 3000, kind: 3, isFilterOnly: true)
        #expect(reasons(diag, client(), .select).isEmpty)
        #expect(reasons(makeImage(architectures: ["ppc"]), client(), .select).count == 1)
    }

    @Test func everyFailedCheckIsListed() {
        let image = makeImage(isEnabled: false, isFilterOnly: true, architectures: ["ppc"], enabledModels: ["X"],
                              disabledModels: ["MacBookPro11,2"], enabledMACs: [other], disabledMACs: [mac])
        #expect(reasons(image, client()).map(\.code)
            == ["disabled", "architecture", "model-not-enabled", "model-disabled", "mac-disabled", "mac-not-enabled", "filter-only"])
        #expect(reasons(image, client()).allSatisfy { !$0.description.isEmpty })
    }

    @Test func defaultIsTheFirstEligibleInListOrder() {
        let catalog = ImageCatalog(directory: "/", images: ImageCatalog.ordered([
            makeImage(folder: "a", index: 1),
            makeImage(folder: "b", index: 2, isDefault: true, enabledModels: ["Macmini7,1"]),
            makeImage(folder: "c", index: 3, isDefault: true, architectures: ["ppc"]),
        ]).images)
        #expect(catalog.defaultImage(for: client(model: "Macmini7,1")) == DefaultImageChoice(image: catalog.images[1], basis: .markedDefault))
        #expect(catalog.defaultImage(for: client(model: "iMac14,3"))?.image.folder == "a")
        #expect(catalog.defaultImage(for: client(model: "iMac14,3"))?.basis == .firstEligible)
        #expect(catalog.defaultImage(for: client("ppc"))?.image.folder == "c")
        #expect(catalog.defaultImage(for: client("arm")) == nil)
        #expect(catalog.offeredImages(for: client(model: "iMac14,3")).map(\.folder) == ["a"])
    }

    @Test func defaultHonoursTheAttributeFilter() {
        let catalog = ImageCatalog(directory: "/", images: ImageCatalog.ordered([
            makeImage(folder: "os", index: 1, isDefault: true),
            makeImage(folder: "diag", index: 2, kind: 3, isFilterOnly: true),
        ]).images)
        #expect(catalog.defaultImage(for: client())?.image.folder == "os")
        #expect(catalog.defaultImage(for: client(filter: [0x0300]))?.image.folder == "diag")
        #expect(catalog.offeredImages(for: client(filter: [0x0300])).map(\.folder) == ["diag"])
    }

    @Test func selectDecisions() {
        let catalog = ImageCatalog(directory: "/", images: [
            makeImage(folder: "a", index: 1), makeImage(folder: "m", index: 2, enabledMACs: [other]),
            makeImage(folder: "off", index: 3, isEnabled: false),
        ])
        #expect(catalog.select(imageID: 0x0100_0001, for: client()) == .selected(catalog.images[0]))
        #expect(catalog.select(imageID: 0x0100_0009, for: client()) == .failed(.unknownImage(0x0100_0009)))
        #expect(catalog.select(imageID: 0x0100_0002, for: client()) == .failed(.filtered(catalog.images[1], [.macNotEnabled(mac)])))
        #expect(catalog.select(imageID: 0x0100_0003, for: client()) == .failed(.filtered(catalog.images[2], [.imageDisabled])))
        // The id must match in full: index 1 with the install bit is another image.
        #expect(catalog.select(imageID: 0x8100_0001, for: client()) == .failed(.unknownImage(0x8100_0001)))
    }

    @Test func fixtureCatalogForAMacBook() {
        let catalog = ImageCatalogScanner().scan(directory: fixtureImagesDirectory())
        let macbook = client(model: "MacBookPro11,2", mac: MACAddress("00:1b:63:a0:00:02"))
        #expect(catalog.offeredImages(for: macbook).map(\.folder) == ["B-Binary.nbi", "A-Install.nbi", "D-Filters.nbi"])
        #expect(catalog.defaultImage(for: macbook)?.image.idText == "0x01001001")
        let imac = client(model: "iMac12,1", mac: MACAddress("00:1b:63:a0:00:02"))
        #expect(catalog.offeredImages(for: imac).map(\.folder) == ["A-Install.nbi"])
        #expect(catalog.defaultImage(for: imac)?.basis == .firstEligible)
        let g4 = client("ppc", model: "PowerMac3,1")
        #expect(catalog.offeredImages(for: g4).map(\.folder) == ["L-Minimal.nbi"])
    }

    @Test func vendorClassParsing() {
        let parsed = NetBootClient(mac: mac, vendorClass: "AAPLBSDPC/i386/MacBookPro11,2")
        #expect(parsed?.architecture == "i386" && parsed?.systemIdentifier == "MacBookPro11,2")
        for bad in ["AAPLBSDPC", "AAPLBSDPC/i386", "AAPLBSDPC//x", "AAPLBSDPC/i386/", "PXEClient/i386/x", "AAPLBSDPC/i386/a\nb"] {
            #expect(NetBootClient(mac: mac, vendorClass: bad) == nil)
        }
    }
}

@Suite struct ImageListDecisionTests {
    @Test func listDecisionCarriesVerdictsOfferedAndDefault() {
        let catalog = ImageCatalogScanner().scan(directory: fixtureImagesDirectory())
        let client = NetBootClient(mac: MACAddress(rawValue: 0x001B_63A0_0002), architecture: "i386", systemIdentifier: "Macmini7,1")
        let decision = catalog.listDecision(for: client)
        #expect(decision.answers)
        #expect(decision.eligibility.count == catalog.images.count)
        #expect(decision.offered.map(\.idText) == ["0x01001001", "0x81000010", "0x01000014"])
        #expect(decision.defaultImage?.basis == .markedDefault)
        let diag = decision.eligibility.first { $0.image.folder == "C-Diagnostics.nbi" }
        #expect(diag?.reasons == [.filterOnly])
        let arm = NetBootClient(mac: client.mac, architecture: "arm", systemIdentifier: "Mac14,2")
        #expect(!catalog.listDecision(for: arm).answers)
        #expect(catalog.listDecision(for: arm).explanation.last == "no image applies: the server does not answer this client's INFORM[LIST]")
        #expect(decision.explanation == [
            "0x81000010 \"Old Image\": not offered: the image is disabled (IsEnabled false)",
            "0x01001001 \"Catalina NetBoot (binary plist)\": offered, default (IsDefault)",
            "0x81000010 \"Mojave Install\": offered",
            "0x03000bb8 \"Apple Hardware Test\": not offered: the image is FilterOnly and the client sent no attribute filter list",
            "0x01000014 \"Lab Only\": offered",
            "0x01000009 \"PowerPC Minimal\": not offered: architecture i386 is not in Architectures [ppc]",
        ])
    }

    @Test func boundImageRechecksTheAttributeFilter() {
        let catalog = ImageCatalog(directory: "/", images: [makeImage(index: 1, isInstall: true)])
        let plain = NetBootClient(mac: MACAddress(rawValue: 1), architecture: "i386", systemIdentifier: "M")
        var filtered = plain
        filtered.attributeFilter = [0x0300]
        #expect(catalog.boundImage(imageID: 0x8100_0001, for: plain) == .selected(catalog.images[0]))
        #expect(catalog.boundImage(imageID: 0x8100_0001, for: filtered)
            == .failed(.filtered(catalog.images[0], [.attributesNotRequested(image: 0x8100, requested: [0x0300])])))
        #expect(catalog.select(imageID: 0x8100_0001, for: filtered) == .selected(catalog.images[0]))
    }

    @Test func rootPathOptionText() throws {
        let catalog = ImageCatalogScanner().scan(directory: fixtureImagesDirectory())
        let server = IPv4Address(198, 51, 100, 1)
        var install = try #require(catalog.image(folder: "A-Install.nbi"))
        #expect(install.rootPathOption(server: server, httpBasePath: "/images", nfsExportPath: "/srv/images")
            == "http://198.51.100.1/images/A-Install.nbi/NetInstall.dmg")
        install.folder = "Mojave Install é.nbi"
        #expect(install.rootPathOption(server: server, httpBasePath: "", nfsExportPath: "")
            == "http://198.51.100.1/Mojave%20Install%20%C3%A9.nbi/NetInstall.dmg")
        let binary = try #require(catalog.image(folder: "B-Binary.nbi"))
        #expect(binary.rootPathOption(server: server, httpBasePath: "/", nfsExportPath: "/srv/images")
            == "nfs:198.51.100.1:/srv/images:B-Binary.nbi/NetBoot.dmg")
        let lab = try #require(catalog.image(folder: "D-Filters.nbi"))
        #expect(lab.rootPathOption(server: server, httpBasePath: "/", nfsExportPath: "/x")
            == "nfs:198.51.100.7:/exports/netboot:Lab.nbi/NetBoot.dmg")
        #expect(lab.serverAddress(answeringFrom: server) == IPv4Address(198, 51, 100, 8))
        let diag = try #require(catalog.image(folder: "C-Diagnostics.nbi"))
        #expect(diag.rootPathOption(server: server, httpBasePath: "/", nfsExportPath: "/") == nil)
    }
}
