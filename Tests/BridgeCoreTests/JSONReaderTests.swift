import BridgeCore
import Foundation
import Testing

/// `JSONValue.parse` reads bodies in one pass (`JSONReader`): it must take exactly the values
/// `JSONDecoder` took before (the reports already stored were digested from those values) and
/// refuse what is not RFC 8259 JSON.
@Suite struct JSONReaderTests {
    static let valid = [
        #"{"sequence": 1, "kind": "status", "data": {"run": "r", "step": "s", "phase": "start"}}"#,
        #"  {"a":[1,2.5,-3,0,1e3,2E-2,-0.0,123456789012345678901234567890],"b":{"c":null,"d":true,"e":false}}  "#,
        #"{"esc": "q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00 é 😀", "empty": "", "nested": [[[]], {}]}"#,
        #"[]"#, #"{}"#, #""text""#, #"42"#, #"-1.5e-7"#, #"true"#, #"null"#,
        #"{"dup": 1, "dup": 2}"#,
        #"{"k": 9007199254740993}"#,
    ]

    static let invalid = [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{'a':1}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "1.", ".5", "-", "+1",
        "1e", "1e+", "0x10", "NaN", "Infinity", "1e400", "tru", "nul", "\"unterminated", "\"tab\there\"", "\"\\x\"",
        "\"\\u12\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "{} {}", "[] x", "/* c */ {}",
    ]

    @Test(arguments: valid) func takesWhatJSONDecoderTook(text: String) throws {
        let reference = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(JSONValue.parse(Data(text.utf8)) == reference)
        #expect(JSONValue.parse(Data(text.utf8))?.canonicalJSON == reference.canonicalJSON)
    }

    @Test(arguments: invalid) func refusesWhatIsNotJSON(text: String) {
        #expect(JSONValue.parse(Data(text.utf8)) == nil)
    }

    @Test func refusesInvalidUTF8() {
        #expect(JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) == nil)  // "\xC3(" — a broken sequence
        #expect(JSONValue.parse(Data([0x22, 0xFF, 0x22])) == nil)
        #expect(JSONValue.parse(Data([0x22, 0xC3, 0xA9, 0x22])) == .string("é"))
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONValue.parse(Data(deep.utf8)) == nil)
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(JSONValue.parse(Data(fine.utf8)) != nil)
    }

    @Test func aReportBodyDecodesAsBefore() throws {
        let body = Data(#"{"sequence": 7, "kind": "inventory", "data": {"cpu": "M1", "ram_gb": 16, "t2": false}}"#.utf8)
        let report = try ClientReport.decode(body)
        #expect(report.sequence == 7)
        #expect(report.data == .object(["cpu": .string("M1"), "ram_gb": .number(16), "t2": .bool(false)]))
        #expect(String(decoding: report.canonicalJSON, as: UTF8.self) == #"{"data":{"cpu":"M1","ram_gb":16,"t2":false},"kind":"inventory"}"#)
    }
}
