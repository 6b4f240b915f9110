import Foundation
import Testing
@testable import BootImages

@Suite struct PropertyListValueTests {
    @Test func xmlKeepsBooleanAndIntegerApart() throws {
        let value = try PropertyListValue.decode(Data(xmlPlist("""
            <key>One</key><integer>1</integer>
            <key>Zero</key><integer>0</integer>
            <key>Yes</key><true/>
            <key>No</key><false/>
            <key>Real</key><real>1.5</real>
            <key>Text</key><string>é</string>
            <key>List</key><array><string>a</string><integer>2</integer></array>
            """).utf8))
        #expect(value == .dictionary([
            "One": .integer(1), "Zero": .integer(0), "Yes": .bool(true), "No": .bool(false),
            "Real": .real(1.5), "Text": .string("é"), "List": .array([.string("a"), .integer(2)]),
        ]))
    }

    @Test func binaryPlistFromPythonDecodes() throws {
        let path = fixtureImagesDirectory() + "/B-Binary.nbi/NBImageInfo.plist"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.prefix(8) == Data("bplist00".utf8))
        guard case let .dictionary(keys) = try PropertyListValue.decode(data) else {
            Issue.record("not a dictionary"); return
        }
        #expect(keys["Index"] == .integer(4097))
        #expect(keys["IsDefault"] == .bool(true))
        #expect(keys["IsInstall"] == .bool(false))
        #expect(keys["Architectures"] == .array([.string("i386")]))
        #expect(keys["Name"] == .string("Catalina NetBoot (binary plist)"))
    }

    @Test func openStepTextDecodes() throws {
        let value = try PropertyListValue.decode(Data(#"{ Name = "Old style"; Index = 3; }"#.utf8))
        guard case let .dictionary(keys) = value else { Issue.record("not a dictionary"); return }
        #expect(keys["Name"] == .string("Old style"))
        // Text plists have no integers: Apple's reader then refuses Index too.
        #expect(keys["Index"] == .string("3"))
    }

    @Test(arguments: [
        Data(), Data([0x62, 0x70, 0x6C, 0x69, 0x73, 0x74, 0x30, 0x30, 1, 2, 3]),
        Data("<plist><dict><key>a</key></dict>".utf8), Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37) }),
        Data(("<plist>" + String(repeating: "<array>", count: 5000) + "</plist>").utf8),
        Data("<plist><integer>99999999999999999999999</integer></plist>".utf8),
    ])
    func garbageIsAnErrorNotATrap(_ data: Data) {
        #expect(throws: PropertyListValue.DecodingError.self) { try PropertyListValue.decode(data) }
    }

    @Test func bareWordIsAnOpenStepStringNotADictionary() throws {
        // CoreFoundation falls back to the text format, where a bare word is a string.
        #expect(try PropertyListValue.decode(Data("bplist00".utf8)) == .string("bplist00"))
    }

    @Test func bplistReferenceCycleIsRefused() {
        // One array whose only element is itself (object 0 → ref 0).
        var bytes = Array("bplist00".utf8) + [0xA1, 0x00]
        let table = bytes.count
        bytes += [0x08] + [0, 0, 0, 0, 0, 0, 1, 1]
        bytes += [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, UInt8(table)]
        #expect(throws: PropertyListValue.DecodingError.self) { try PropertyListValue.decode(Data(bytes)) }
    }

    @Test func oversizedInputIsRefusedBeforeParsing() {
        let data = Data(count: PropertyListValue.maximumSize + 1)
        #expect(throws: PropertyListValue.DecodingError.tooLarge(size: data.count, limit: PropertyListValue.maximumSize)) {
            try PropertyListValue.decode(data)
        }
    }

    @Test func hugeUnsignedIntegerStaysExact() throws {
        let value = try PropertyListValue.decode(Data(xmlPlist("<key>Big</key><integer>18446744073709551615</integer>").utf8))
        #expect(value == .dictionary(["Big": .unsignedInteger(UInt64.max)]))
    }
}
