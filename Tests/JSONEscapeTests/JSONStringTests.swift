import Foundation
import Testing
import JSONEscape

@Suite struct JSONStringTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote \" and \\ backslash", #""quote \" and \\ backslash""#),
        ("line\nfeed\ttab\rreturn", #""line\nfeed\ttab\rreturn""#),
        ("\u{08}\u{0C}\u{01}\u{1F}", #""\b\f\u0001\u001f""#),
        ("é ✓ 🚀 /", #""é ✓ 🚀 /""#),
    ])
    func knownAnswers(_ text: String, _ expected: String) {
        var out = ""
        JSONString.append(text, to: &out)
        #expect(out == expected)
    }

    /// Every control character and the escapes read back as the original text.
    @Test func readsBackThroughJSONSerialization() throws {
        let text = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{2028}é"
        var out = "["
        JSONString.append(text, to: &out)
        out += "]"
        let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String]
        #expect(parsed == [text])
    }
}
