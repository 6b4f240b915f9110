import Foundation
import NetbootWire
import Testing
@testable import BootImages

@Suite struct ImageCatalogScanTests {
    let catalog = ImageCatalogScanner().scan(directory: fixtureImagesDirectory())

    @Test func validImagesInAppleListOrder() {
        // B is IsDefault with a model list; E is IsDefault but disabled and model-free, so it goes
        // to the very front; the rest follow in folder order.
        #expect(catalog.images.map(\.folder)
            == ["E-Disabled.nbi", "B-Binary.nbi", "A-Install.nbi", "C-Diagnostics.nbi", "D-Filters.nbi", "L-Minimal.nbi"])
        #expect(catalog.directoryError == nil)
    }

    @Test func xmlImageWithEveryCommonKey() throws {
        let image = try #require(catalog.image(folder: "A-Install.nbi"))
        #expect(image.idText == "0x81000010")
        #expect(image.name == "Mojave Install")
        #expect(image.kindName == "Mac OS X")
        #expect(image.isInstall && image.isEnabled && !image.isDefault && !image.isFilterOnly)
        #expect(image.type == .http)
        #expect(image.rootPath == .local(file: "NetInstall.dmg"))
        #expect(image.bootFilePath(architecture: "i386") == "A-Install.nbi/i386/booter")
        #expect(image.bootFilePath(architecture: "ppc") == nil)
        #expect(image.imageDescription == "NetInstall of macOS 10.14")
        #expect(image.osVersion == "10.14" && image.language == "Default")
    }

    @Test func binaryImage() throws {
        let image = try #require(catalog.image(folder: "B-Binary.nbi"))
        #expect(image.idText == "0x01001001")
        #expect(image.isDefault)
        #expect(image.type == .nfs)
        #expect(image.enabledSystemIdentifiers == ["MacBookPro11,2", "Macmini7,1"])
    }

    @Test func diagnosticsImageIsFilterOnlyBootFileOnly() throws {
        let image = try #require(catalog.image(folder: "C-Diagnostics.nbi"))
        #expect(image.idText == "0x03000bb8")
        #expect(image.isFilterOnly && image.type == .bootFileOnly && image.rootPath == nil)
    }

    @Test func indirectNFSRootAndFilters() throws {
        let image = try #require(catalog.image(folder: "D-Filters.nbi"))
        #expect(image.rootPath == .nfs(host: IPv4Address(198, 51, 100, 7), mount: "/exports/netboot", image: "Lab.nbi/NetBoot.dmg"))
        #expect(image.rootPath?.indirectOptionText == "nfs:198.51.100.7:/exports/netboot:Lab.nbi/NetBoot.dmg")
        #expect(image.enabledMACAddresses.map(\.description) == ["00:1b:63:a0:00:01", "00:1b:63:a0:00:02", "00:1b:63:a0:00:03"])
        #expect(image.disabledMACAddresses.map(\.description) == ["00:1b:63:a0:00:03"])
        #expect(image.disabledSystemIdentifiers == ["iMac12,1"])
        #expect(image.loadBalanceServer == IPv4Address(198, 51, 100, 8))
    }

    @Test func disabledImageKeptAndItsPasswordNeverShown() throws {
        let image = try #require(catalog.image(folder: "E-Disabled.nbi"))
        #expect(!image.isEnabled)
        #expect(image.rootPath?.displayText == "http://netboot:***@198.51.100.9:8080/images/Old.dmg")
        #expect(image.rootPath?.indirectOptionText == "http://netboot:s3cret@198.51.100.9:8080/images/Old.dmg")
        // Its id equals A's, but a disabled image claims no id.
        #expect(catalog.image(id: 0x8100_0010)?.folder == "A-Install.nbi")
    }

    @Test func ppcDefaultWithTopLevelBooter() throws {
        let image = try #require(catalog.image(folder: "L-Minimal.nbi"))
        #expect(image.architectures == ["ppc"])
        #expect(image.bootFilePath(architecture: "ppc") == "L-Minimal.nbi/booter")
    }

    @Test func skippedFoldersWithTheirReasons() {
        #expect(catalog.skippedFolders == ["F-MissingKeys.nbi", "G-WrongTypes.nbi", "H-DuplicateID.nbi",
                                           "I-Garbage.nbi", "J-NoBootFile.nbi", "K-NoPlist.nbi"])
        #expect(catalog.problems(of: "F-MissingKeys.nbi").map(\.reason)
            == [.missingKey("Index"), .missingKey("BootFile"), .missingKey("RootPath")])
        #expect(catalog.problems(of: "G-WrongTypes.nbi").map(\.reason) == [
            .wrongType(key: "Index", expected: "an Integer", found: "String"),
            .wrongType(key: "Architectures", expected: "an Array of Strings", found: "String"),
            .rootPathNotFound("NetBoot.dmg"),  // the disk checks run too: every reason at once
        ])
        #expect(catalog.problems(of: "H-DuplicateID.nbi").map(\.reason) == [.duplicateID(id: 0x8100_0010, keptFolder: "A-Install.nbi")])
        #expect(catalog.problems(of: "H-DuplicateID.nbi").first?.message == "image id 0x81000010 is already used by A-Install.nbi")
        #expect(catalog.problems(of: "I-Garbage.nbi").map(\.code) == ["plist-invalid"])
        #expect(catalog.problems(of: "J-NoBootFile.nbi").map(\.reason) == [.bootFileMissing(path: "J-NoBootFile.nbi/i386/booter")])
        #expect(catalog.problems(of: "K-NoPlist.nbi").map(\.reason) == [.plistMissing])
    }

    @Test func missingDirectoryIsReportedNotFatal() {
        let empty = ImageCatalogScanner().scan(directory: "/nonexistent/images")
        #expect(empty.images.isEmpty && empty.directoryError != nil)
    }

    @Test func defaultsOrderLikeApple() {
        // Apple: IsDefault without models → front (last read first); IsDefault with models → after
        // those; the rest in read order.
        let scanned = [
            makeImage(folder: "a", index: 1),
            makeImage(folder: "b", index: 2, isDefault: true, enabledModels: ["M"]),
            makeImage(folder: "c", index: 3, isDefault: true),
            makeImage(folder: "d", index: 4),
            makeImage(folder: "e", index: 5, isDefault: true),
            makeImage(folder: "f", index: 6, isDefault: true, enabledModels: ["N"]),
        ]
        #expect(ImageCatalog.ordered(scanned).images.map(\.folder) == ["e", "c", "f", "b", "a", "d"])
    }

    @Test func sameIndexDifferentKindIsKeptWithANote() {
        let result = ImageCatalog.ordered([makeImage(folder: "a", index: 7, isInstall: true), makeImage(folder: "b", index: 7)])
        #expect(result.images.count == 2 && result.problems.isEmpty)
        #expect(result.notes == ["Index 7 is shared by a (0x81000007), b (0x01000007); allowed because their ids differ"])
    }

    @Test func indirectRootPathsResolveOrFail() {
        let resolver = TableResolver(table: ["images.lab": IPv4Address(198, 51, 100, 20)])
        #expect(RootPathParser.parse("images.lab:/Library/NetBoot/NetBootSP0:Jaguar/Jaguar.dmg", type: .nfs, resolver: resolver)
            == .success(.nfs(host: IPv4Address(198, 51, 100, 20), mount: "/Library/NetBoot/NetBootSP0", image: "Jaguar/Jaguar.dmg")))
        #expect(RootPathParser.parse(#"10.0.0.1:/Volumes/Foo\:/NetBoot"#, type: .nfs, resolver: resolver)
            == .success(.nfs(host: IPv4Address(10, 0, 0, 1), mount: #"/Volumes/Foo\:/NetBoot"#, image: nil)))
        #expect(RootPathParser.parse("nowhere.lab:/x", type: .nfs, resolver: resolver)
            == .failure(.hostUnresolved(key: "RootPath", host: "nowhere.lab")))
        #expect(RootPathParser.parse("http://u:p@images.lab:8080/NetBootSP0/J.dmg", type: .http, resolver: resolver)
            == .success(.http(host: IPv4Address(198, 51, 100, 20), port: 8080, user: "u", password: "p", path: "NetBootSP0/J.dmg")))
        #expect(RootPathParser.parse("http://images.lab/J.dmg", type: .http, resolver: resolver)
            == .success(.http(host: IPv4Address(198, 51, 100, 20), port: nil, user: nil, password: nil, path: "J.dmg")))
        for bad in ["http://onlyuser@10.0.0.1/x", "http://10.0.0.1:99999/x", "http://10.0.0.1", "ftp://10.0.0.1/x", "NetBoot.dmg"] {
            #expect(RootPathParser.parse(bad, type: .http, resolver: resolver) == .failure(.rootPathNotFound(bad)))
        }
        #expect(RootPathParser.parse("nocolon", type: .nfs, resolver: resolver) == .failure(.rootPathNotFound("nocolon")))
    }

    @Test func problemMessagesRedactPasswords() {
        let problem = ImageProblem(folder: "x.nbi", reason: .rootPathNotFound("http://u:secret@host"))
        #expect(!problem.description.contains("secret"))
        #expect(RootPath.redacting("http://u:secret@10.0.0.1/a@b") == "http://u:***@10.0.0.1/a@b")
        #expect(RootPath.redacting("nfs:10.0.0.1:/x") == "nfs:10.0.0.1:/x")
    }

    @Test func inMemoryTreeAndSymlinkFreePaths() {
        let fs = MemoryFileSystem([
            "/img/One.nbi/NBImageInfo.plist": xmlPlist(minimalKeys),
            "/img/One.nbi/i386/booter": "b",
            "/img/One.nbi/NetBoot.dmg": "d",
            "/img/Two.nbi/NBImageInfo.plist": xmlPlist(minimalKeys.replacingOccurrences(of: "<integer>5</integer>", with: "<integer>6</integer>")),
            "/img/Two.nbi/i386/booter": "b",
            "/img/file.nbi": "a file, not a folder",
        ])
        let scanned = ImageCatalogScanner(fileSystem: fs).scan(directory: "/img")
        #expect(scanned.images.map(\.folder) == ["One.nbi"])
        #expect(scanned.problems.map(\.reason) == [.rootPathNotFound("NetBoot.dmg")])
    }

    /// A key error in the plist does not hide the disk checks: a wrong `Index` type, a missing
    /// booter and a missing root image are reported together (issue 14 item 6).
    @Test func everyReasonOfASkippedImageAtOnce() {
        let keys = minimalKeys.replacingOccurrences(of: "<integer>5</integer>", with: "<string>5</string>")
        let fs = MemoryFileSystem([
            "/img/Bad.nbi/NBImageInfo.plist": xmlPlist(keys),
            // A wrong Architectures value is reported, and no booter is looked for under the `ppc` fallback.
            "/img/Arch.nbi/NBImageInfo.plist": xmlPlist(minimalKeys.replacingOccurrences(
                of: "<array><string>i386</string></array>", with: "<string>i386</string>")),
            "/img/Arch.nbi/NetBoot.dmg": "d",
        ])
        let scanned = ImageCatalogScanner(fileSystem: fs).scan(directory: "/img")
        #expect(scanned.images.isEmpty)
        #expect(scanned.problems(of: "Bad.nbi").map(\.reason) == [
            .wrongType(key: "Index", expected: "an Integer", found: "String"),
            .bootFileMissing(path: "Bad.nbi/i386/booter"),
            .rootPathNotFound("NetBoot.dmg"),
        ])
        #expect(scanned.problems(of: "Arch.nbi").map(\.code) == ["wrong-type"])
    }

    @Test func oversizedPlistIsReportedNotRead() {
        let fs = MemoryFileSystem(data: ["/img/Big.nbi/NBImageInfo.plist": Data(count: PropertyListValue.maximumSize + 1)])
        let scanned = ImageCatalogScanner(fileSystem: fs).scan(directory: "/img")
        #expect(scanned.problems.map(\.code) == ["plist-unreadable"])
    }

    @Test func randomPlistsNeverTrap() {
        // Deterministic pseudo-random byte soup and mutated valid plists through the whole scan.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
        let valid = Array(xmlPlist(minimalKeys).utf8)
        let binary = (try? Data(contentsOf: URL(fileURLWithPath: fixtureImagesDirectory() + "/B-Binary.nbi/NBImageInfo.plist"))).map(Array.init) ?? []
        for round in 0..<300 {
            var bytes = round % 2 == 0 ? valid : binary
            if bytes.isEmpty { bytes = valid }
            for _ in 0..<(1 + Int(next() % 8)) {
                let position = Int(next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: next())
            }
            let fs = MemoryFileSystem(data: ["/img/R.nbi/NBImageInfo.plist": Data(bytes), "/img/R.nbi/i386/booter": Data([1])])
            let scanned = ImageCatalogScanner(fileSystem: fs).scan(directory: "/img")
            #expect(scanned.images.count + scanned.skippedFolders.count == 1)
        }
    }
}
