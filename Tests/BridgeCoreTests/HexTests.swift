import BridgeCore
import Foundation
import Testing

/// Digests are stored and compared as lowercase hex: the fast encoder must give exactly the
/// bytes the store already holds (FIPS 180-2's SHA-256 of "abc").
@Suite struct HexTests {
    static let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    @Test func digestsAreLowercaseHexOfSHA256() {
        #expect(TokenDigest(of: "abc").hex == Self.abc)
        #expect(ReportDigest(canonical: Data("abc".utf8)).hex == Self.abc)
    }

    @Test func everyByteValueIsTwoDigits() {
        let bytes = (0...255).map(UInt8.init)
        #expect(Hex.lowercase(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.lowercase([]) == "")
    }
}
