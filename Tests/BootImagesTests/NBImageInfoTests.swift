import Foundation
import NetbootWire
import Testing
@testable import BootImages

@Suite struct NBImageInfoTests {
    @Test func appleDefaultsWhenKeysAreMissing() throws {
        let info = try #require(interpret("""
            <key>Name</key><string>Minimal</string>
            <key>Index</key><integer>9</integer>
            <key>Type</key><string>NFS</string>
            <key>RootPath</key><string>Jaguar.dmg</string>
            <key>BootFile</key><string>booter</string>
            """).success)
        #expect(info.isEnabled == true)
        #expect(info.isDefault == false)
        #expect(info.isInstall == false)
        #expect(info.isFilterOnly == false)
        #expect(info.kind == 1)  // NFS → Mac OS X
        #expect(info.architectures == ["ppc"])
        #expect(info.enabledSystemIdentifiers.isEmpty && info.enabledMACAddresses.isEmpty)
        #expect(info.warnings.isEmpty)
    }

    @Test func everyMissingRequiredKeyIsReportedAtOnce() throws {
        let errors = try #require(interpret("<key>Description</key><string>x</string>").failure)
        #expect(errors.reasons == [.missingKey("Name"), .missingKey("Index"), .missingKey("Type"), .missingKey("BootFile")])
    }

    @Test func rootPathIsRequiredForNFSAndHTTPOnly() throws {
        let nfs = try #require(interpret("""
            <key>Name</key><string>A</string><key>Index</key><integer>1</integer>
            <key>Type</key><string>NFS</string><key>BootFile</key><string>booter</string>
            """).failure)
        #expect(nfs.reasons == [.missingKey("RootPath")])
        let bootFileOnly = try #require(interpret("""
            <key>Name</key><string>A</string><key>Index</key><integer>1</integer><key>Kind</key><integer>1</integer>
            <key>Type</key><string>BootFileOnly</string><key>BootFile</key><string>ipxe.efi</string>
            """).success)
        #expect(bootFileOnly.rootPath == nil)
    }

    @Test(arguments: [
        ("<integer>0</integer>", ImageProblem.Reason.indexOutOfRange("0")),
        ("<integer>65536</integer>", .indexOutOfRange("65536")),
        ("<integer>-1</integer>", .indexOutOfRange("-1")),
        ("<integer>18446744073709551615</integer>", .indexOutOfRange("18446744073709551615")),
        ("<string>7</string>", .wrongType(key: "Index", expected: "an Integer", found: "String")),
        ("<true/>", .wrongType(key: "Index", expected: "an Integer", found: "Boolean")),
        ("<real>3.0</real>", .wrongType(key: "Index", expected: "an Integer", found: "Real")),
    ])
    func invalidIndex(_ value: String, _ reason: ImageProblem.Reason) throws {
        let body = minimalKeys.replacingOccurrences(of: "<integer>5</integer>", with: value)
        #expect(try #require(interpret(body).failure).reasons == [reason])
    }

    @Test func indexBoundsAreAccepted() throws {
        for index in [1, 4095, 4096, 65535] {
            let body = minimalKeys.replacingOccurrences(of: "<integer>5</integer>", with: "<integer>\(index)</integer>")
            #expect(try #require(interpret(body).success).index == UInt16(index))
        }
    }

    @Test func kindFallsBackToTheTypeDefaultWithAWarning() throws {
        let info = try #require(interpret(minimalKeys + "<key>Kind</key><integer>200</integer>").success)
        #expect(info.kind == 1)
        #expect(info.warnings.contains { $0.hasPrefix("Kind 200") })
        let text = try #require(interpret(minimalKeys + "<key>Kind</key><string>2</string>").success)
        #expect(text.kind == 1)
    }

    @Test func bootFileOnlyNeedsAValidKind() throws {
        let body = """
            <key>Name</key><string>iPXE</string><key>Index</key><integer>40</integer>
            <key>Type</key><string>BootFileOnly</string><key>BootFile</key><string>ipxe.efi</string>
            """
        #expect(try #require(interpret(body).failure).reasons == [.kindRequired])
        #expect(try #require(interpret(body + "<key>Kind</key><integer>128</integer>").failure).reasons == [.kindRequired])
        #expect(try #require(interpret(body + "<key>Kind</key><integer>1</integer>").success).kind == 1)
    }

    @Test func typeMustBeKnownAndClassicIsRefused() throws {
        let unknown = minimalKeys.replacingOccurrences(of: "<string>HTTP</string>", with: "<string>AFP</string>")
        #expect(try #require(interpret(unknown).failure).reasons == [.unknownType("AFP")])
        let classic = minimalKeys.replacingOccurrences(of: "<string>HTTP</string>", with: "<string>Classic</string>")
        #expect(try #require(interpret(classic).failure).reasons == [.classicNotSupported])
    }

    @Test func diagnosticsAreFilterOnlyUnlessSaidOtherwise() throws {
        let diag = try #require(interpret(minimalKeys + "<key>Kind</key><integer>3</integer>").success)
        #expect(diag.isFilterOnly)
        let open = try #require(interpret(minimalKeys + "<key>Kind</key><integer>3</integer><key>FilterOnly</key><false/>").success)
        #expect(!open.isFilterOnly)
    }

    @Test func booleanOfTheWrongTypeKeepsItsDefaultAndWarns() throws {
        let info = try #require(interpret(minimalKeys + """
            <key>IsDefault</key><string>yes</string>
            <key>IsEnabled</key><integer>0</integer>
            """).success)
        #expect(info.isDefault == false && info.isEnabled == true)
        #expect(info.warnings.count == 2)
    }

    @Test func arraysAreCheckedElementByElement() throws {
        let wrongContainer = minimalKeys.replacingOccurrences(of: "<array><string>i386</string></array>", with: "<string>i386</string>")
        #expect(try #require(interpret(wrongContainer).failure).reasons
            == [.wrongType(key: "Architectures", expected: "an Array of Strings", found: "String")])
        let empty = minimalKeys.replacingOccurrences(of: "<array><string>i386</string></array>", with: "<array/>")
        #expect(try #require(interpret(empty).failure).reasons == [.emptyArray(key: "Architectures")])
        let badModel = try #require(interpret(minimalKeys + "<key>EnabledSystemIdentifiers</key><array><string>iMac12,1</string><integer>3</integer></array>").failure)
        #expect(badModel.reasons == [.badArrayElement(key: "EnabledSystemIdentifiers", position: 1, found: "Integer")])
        let emptyModels = try #require(interpret(minimalKeys + "<key>EnabledSystemIdentifiers</key><array/>").success)
        #expect(emptyModels.enabledSystemIdentifiers.isEmpty)
    }

    @Test func macAddressesAcceptEtherAtonForms() throws {
        let info = try #require(interpret(minimalKeys + """
            <key>EnabledMACAddresses</key><array><string>0:1b:63:a:b:c</string><string>00-1B-63-0A-0B-0D</string></array>
            """).success)
        #expect(info.enabledMACAddresses == [MACAddress("00:1b:63:0a:0b:0c"), MACAddress("00:1b:63:0a:0b:0d")].compactMap { $0 })
        let bad = try #require(interpret(minimalKeys + "<key>DisabledMACAddresses</key><array><string>00:1b:63:zz:00:01</string></array>").failure)
        #expect(bad.reasons == [.badMACAddress(key: "DisabledMACAddresses", value: "00:1b:63:zz:00:01")])
    }

    @Test func pathsThatEscapeTheFolderAreRefused() throws {
        let bootFile = minimalKeys.replacingOccurrences(of: "<string>booter</string>", with: "<string>../../etc/passwd</string>")
        #expect(try #require(interpret(bootFile).failure).reasons == [.unsafePath(key: "BootFile", value: "../../etc/passwd")])
        let arch = minimalKeys.replacingOccurrences(of: "<string>i386</string>", with: "<string>..</string>")
        #expect(try #require(interpret(arch).failure).reasons == [.unsafePath(key: "Architectures", value: "..")])
    }

    @Test func nonDictionaryPlistIsRefused() {
        #expect(NBImageInfo.interpret(.array([])).failure?.reasons == [.notADictionary(found: "Array")])
    }

    @Test func emptyNameIsRefused() throws {
        let body = minimalKeys.replacingOccurrences(of: "<string>Image</string>", with: "<string></string>")
        #expect(try #require(interpret(body).failure).reasons == [.emptyName])
    }

    @Test func imageIDFollowsTheBSDPLayout() {
        #expect(makeImage(index: 0x10, kind: 1, isInstall: true).bootImageIDValue == 0x8100_0010)
        #expect(makeImage(index: 0x1000, kind: 1, isInstall: false).bootImageIDValue == 0x0100_1000)
        #expect(makeImage(index: 9009, kind: 0, isInstall: true).bootImageIDValue == 0x8000_2331)
        #expect(makeImage(index: 0xFFFF, kind: 127, isInstall: true).bootImageIDValue == 0xFF00_FFFF)
        #expect(makeImage(index: 1113, kind: 1, isInstall: true).idText == "0x81000459")
        #expect(makeImage(index: 3000, kind: 3).attributes == 0x0300)
    }
}
