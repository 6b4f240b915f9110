import Foundation
import Testing
@testable import BootImages

/// Inputs the fuzzer (Fuzz/nbimageinfo, docs/fuzzing.md) found crashing; each must now return
/// or throw a typed error.
@Suite struct FuzzRegressionTests {
    /// A 396-byte binary NBImageInfo.plist whose top object is a set (marker 0xCD):
    /// swift-corelibs-foundation segfaulted bridging it (null metadata in swift_dynamicCast).
    static let bplistWithSet = Data(base64Encoded: "YnBsaXN0MDDNAQIDBAUGBwgJCgsMDQ4QERIVFhYXGBkaGxxdQXJjaGl0ZWN0dXJlc1hCb290RmlsZVtEZXNjcmlwdGlvbl8QGEVuYWJsZWRTeXN0ZW1JZGVudGlmaWVyc1VJbmRleFlJc0RlJmF1bHRZSXNFbmFibGVkWUlzSW5zdGFsbFRLaW5kVE5hbWVYUm9vdFBhdGhUVHlwZVlvc1ZlcnNpb26hD1RpMzg2VmJvb3RlchBfHldyaXR0ZW4gYnkgcGxpc3RsaWIgRk1UX0JJTkFSWaITFF5NYWNCb29rUHJvAQAAAAAAAA5taW5pNywxERABCQgQAV8QH0NhdGFsaW5hIE5ldEJvb3QgKGJpbmFyeSBwbGlzdClbTmV0Qm9vdC5kbWdTTkZTVTEwLjE1AAgAIwAxADoARgBhAGcAcQB7AIUAigCPAJgAnQCnAKkArgC1ANYA2QDoAPMA9gD3APgA+gEcASgBLAAAAAAAAAIBAAAAAAAAAB0AAAAAAAAAAAAAAAAAAAEy") ?? Data()

    @Test func binaryPlistSetIsMalformedNotACrash() {
        #expect(Self.bplistWithSet.count == 396)
        #expect(throws: PropertyListValue.DecodingError.self) { try PropertyListValue.decode(Self.bplistWithSet) }
        #expect(BinaryPlistScreen.problem(Array(Self.bplistWithSet)) != nil)
    }

    /// The same file with a `bplist01` header, which CoreFoundation reads just the same.
    @Test func binaryPlistOtherVersionIsScreenedToo() {
        let data = Data(base64Encoded: "YnBsaXN0MDHNAQIDBAUGBwgJCgsMDQ4QERIVFhYXGBkaGxxdQXJjaGl0ZWN0dXJlc1hCb290RmlsZVtEZXNjcmlwdGlvbl8QGEVuYWJsZWRTeXN0ZW1JZGVudGlmaWVyc1VJbmRleFlJc0RlJmF1bHRZSXNFbmFibGVkWUlzSW5zdGFsbFRLaW5kVE5hbWVYUm9vdFBhdGhUVHlwZVlvc1ZlcnNpb26hD1RpMzg2VmJvb3RlchBfHldyaXR0ZW4gYnkgcGxpc3RsaWIgRk1UX0JJTkFSWaITFF5NYWNCb29rUHJvAQAAAAAAAA5taW5pNywxERABCQgQAV8QH0NhdGFsaW5hIE5ldEJvb3QgKGJpbmFyeSBwbGlzdClbTmV0Qm9vdC5kbWdTTkZTVTEwLjE1AAgAIwAxADoARgBhAGcAcQB7AIUAigCPAJgAnQCnAKkArgC1ANYA2QDoAPMA9gD3APgA+gEcASgBLAAAAAAAAAIBAAAAAAAAAB0AAAAAAAAAAAAAAAAAAAEy") ?? Data()
        #expect(data.count == 396)
        #expect(throws: PropertyListValue.DecodingError.self) { try PropertyListValue.decode(data) }
    }

    /// A binary plist dictionary whose key is an integer, not a string: refused before Foundation.
    @Test func binaryPlistNonStringKeyIsMalformed() {
        // { 1: "a" } — objects: 0 dict(1), 1 int 1, 2 ascii "a"; 1-byte offsets and refs.
        var bytes = Array("bplist00".utf8)
        let dict = bytes.count
        bytes += [0xD1, 0x01, 0x02]
        let int = bytes.count
        bytes += [0x10, 0x01]
        let text = bytes.count
        bytes += [0x51, 0x61]
        let table = bytes.count
        bytes += [UInt8(dict), UInt8(int), UInt8(text)]
        bytes += [0, 0, 0, 0, 0, 0, 1, 1] + [0, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0, count: 8)
            + [0, 0, 0, 0, 0, 0, 0, UInt8(table)]
        #expect(BinaryPlistScreen.problem(bytes) != nil)
        #expect(throws: PropertyListValue.DecodingError.self) { try PropertyListValue.decode(Data(bytes)) }
    }

    /// The screen leaves well-formed binary plists (string keys, arrays) to Foundation.
    @Test func binaryPlistFixturePasses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("Fixtures/images/B-Binary.nbi/NBImageInfo.plist"))
        #expect(BinaryPlistScreen.problem(Array(data)) == nil)
        #expect(throws: Never.self) { try PropertyListValue.decode(data) }
    }

    /// Every committed fuzz seed and regression input reads without trapping.
    @Test func corpusReads() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/nbimageinfo")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            if let value = try? PropertyListValue.decode(data) { _ = NBImageInfo.interpret(value) }
        }
    }
}
