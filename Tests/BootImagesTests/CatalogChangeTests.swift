import Testing
@testable import BootImages

@Suite struct CatalogChangeTests {
    @Test func newImageIsLoggedWithTheSeedLine() {
        let old = ImageCatalog(directory: "/i", images: [makeImage(folder: "a.nbi", name: "A", index: 1)])
        let new = ImageCatalog(directory: "/i", images: [makeImage(folder: "a.nbi", name: "A", index: 1),
                                                         makeImage(folder: "b.nbi", name: "Sierra Lab", index: 2)])
        let change = CatalogChange(from: old, to: new)
        #expect(change.distributed.map(\.folder) == ["b.nbi"])
        #expect(change.logLines == ["New image distributed: Sierra Lab"])
    }

    @Test func enablingCountsAsDistributedAndDisablingAsWithdrawn() {
        let off = ImageCatalog(directory: "/i", images: [makeImage(folder: "a.nbi", name: "A", isEnabled: false)])
        let on = ImageCatalog(directory: "/i", images: [makeImage(folder: "a.nbi", name: "A")])
        #expect(CatalogChange(from: off, to: on).logLines == ["New image distributed: A"])
        #expect(CatalogChange(from: on, to: off).logLines == ["Image withdrawn: A"])
    }

    @Test func changedSettingsAreUpdatesAndSameCatalogIsEmpty() {
        let before = ImageCatalog(directory: "/i", images: [makeImage(folder: "a.nbi", name: "A", index: 1)])
        let after = ImageCatalog(directory: "/i", images: [makeImage(folder: "a.nbi", name: "A", index: 2)])
        #expect(CatalogChange(from: before, to: after).logLines == ["Image updated: A"])
        #expect(CatalogChange(from: before, to: before).isEmpty)
    }

    @Test func brokenImageIsWithdrawnAndItsProblemShown() {
        let before = ImageCatalog(directory: "/i", images: [makeImage(folder: "a.nbi", name: "A")])
        let after = ImageCatalog(directory: "/i", problems: [ImageProblem(folder: "a.nbi", reason: .missingKey("Index"))])
        #expect(CatalogChange(from: before, to: after).logLines == ["Image withdrawn: A", "Image skipped: a.nbi: missing key Index"])
        #expect(CatalogChange(from: after, to: after).isEmpty)
    }

    @Test func firstScanDistributesEverythingEnabled() {
        let catalog = ImageCatalogScanner().scan(directory: fixtureImagesDirectory())
        let change = CatalogChange(from: ImageCatalog(directory: catalog.directory), to: catalog)
        #expect(change.distributed.count == 5)
        #expect(change.logLines.first == "New image distributed: Catalina NetBoot (binary plist)")
    }
}
