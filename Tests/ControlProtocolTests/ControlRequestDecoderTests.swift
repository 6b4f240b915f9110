import ControlProtocol
import Foundation
import NetbootWire
import Testing

@Suite struct ControlRequestDecoderTests {
    func decode(_ text: String) -> Result<ControlRequest, ControlRequestDecoder.Rejection> {
        ControlRequestDecoder.decode(Array(text.utf8))
    }

    func rejection(_ text: String) -> ControlRequestDecoder.Rejection? {
        if case .failure(let rejection) = decode(text) { return rejection }
        return nil
    }

    @Test func everyCommandDecodes() throws {
        let cases: [(String, ControlRequest.Command)] = [
            (#"{"version":1,"command":"status"}"#, .status),
            (#"{"version":1,"command":"images.list"}"#, .imagesList),
            (#"{"version":1,"command":"images.rescan","arguments":{}}"#, .imagesRescan),
            (#"{"version":1,"command":"leases.list","arguments":null}"#, .leasesList),
            (#"{"version":1,"command":"leases.release","arguments":{"mac":"02:00:5E:10:00:02"}}"#,
             .leasesRelease(.mac(MACAddress(rawValue: 0x0200_5e10_0002)))),
            (#"{"version":1,"command":"leases.release","arguments":{"address":"198.51.100.20"}}"#,
             .leasesRelease(.address(IPv4Address(198, 51, 100, 20)))),
            (#"{"version":1,"command":"capture.dump"}"#, .captureDump),
            (#"{"version":1,"command":"config.reload"}"#, .configReload),
        ]
        for (text, command) in cases {
            #expect(try decode(text).get() == ControlRequest(command: command), "\(text)")
        }
        #expect(Set(cases.map(\.1.name)) == Set(ControlCommand.allCases))
    }

    @Test func idsAreEchoed() throws {
        #expect(try decode(#"{"version":1,"id":42,"command":"status"}"#).get().id == .number(42))
        #expect(try decode(#"{"version":1,"id":"a-b","command":"status"}"#).get().id == .text("a-b"))
        // An error after the id is readable still names the id.
        #expect(rejection(#"{"id":7,"version":2,"command":"status"}"#)?.id == .number(7))
        #expect(rejection(#"{"id":"x","version":1,"command":"nope"}"#)?.id == .text("x"))
    }

    @Test func envelopeErrorsHaveTheirCodes() {
        let cases: [(String, ControlError.Code)] = [
            ("", .malformedJSON),
            ("not json", .malformedJSON),
            (#"{"version":1,"command":"status""#, .malformedJSON),
            ("[1,2]", .malformedJSON),
            ("\"status\"", .malformedJSON),
            ("null", .malformedJSON),
            (#"{"command":"status"}"#, .badRequest),
            (#"{"version":"1","command":"status"}"#, .badRequest),
            (#"{"version":1.5,"command":"status"}"#, .badRequest),
            (#"{"version":1}"#, .badRequest),
            (#"{"version":1,"command":7}"#, .badRequest),
            (#"{"version":1,"command":"status","extra":true}"#, .badRequest),
            (#"{"version":1,"command":"status","id":[1]}"#, .badRequest),
            (#"{"version":1,"command":"status","id":1.5}"#, .badRequest),
            (#"{"version":1,"command":"status","arguments":[]}"#, .badRequest),
            (#"{"version":2,"command":"status"}"#, .unsupportedVersion),
            (#"{"version":1,"command":"reboot"}"#, .unknownCommand),
            (#"{"version":1,"command":"status","arguments":{"x":1}}"#, .badArguments),
            (#"{"version":1,"command":"leases.release"}"#, .badArguments),
            (#"{"version":1,"command":"leases.release","arguments":{"mac":"02:00:5e:10:00:02","address":"10.0.0.1"}}"#, .badArguments),
            (#"{"version":1,"command":"leases.release","arguments":{"mac":"zz"}}"#, .badArguments),
            (#"{"version":1,"command":"leases.release","arguments":{"mac":5}}"#, .badArguments),
            (#"{"version":1,"command":"leases.release","arguments":{"address":"10.0.0.256"}}"#, .badArguments),
            (#"{"version":1,"command":"leases.release","arguments":{"address":"10.0.0.1","hostname":"x"}}"#, .badArguments),
        ]
        for (text, code) in cases {
            #expect(rejection(text)?.error.code == code, "\(text)")
        }
    }

    @Test func messagesNameTheField() {
        #expect(rejection(#"{"version":1,"command":"status","extra":true}"#)?.error.message == "unknown field 'extra'")
        #expect(rejection(#"{"version":1,"command":"leases.release","arguments":{"mac":5}}"#)?.error.message
            == "leases.release: 'mac' must be a string, not a number")
        #expect(rejection(#"{"version":1,"command":"status","arguments":{"verbose":true}}"#)?.error.message
            == "status: unknown argument 'verbose'")
    }

    @Test func clientTextInMessagesIsCutAndEscaped() throws {
        let long = String(repeating: "x", count: 500)
        let message = try #require(rejection(#"{"version":1,"command":"\#(long)\u001b[2J"}"#)?.error.message)
        #expect(message.count < 200)
        let escaped = try #require(rejection(#"{"version":1,"command":"a\u001b[2J"}"#)?.error.message)
        #expect(!escaped.contains("\u{1b}"))
        #expect(escaped.contains("\\u{1b}"))
    }

    @Test func notUTF8IsMalformed() {
        let result = ControlRequestDecoder.decode([0x7b, 0xff, 0xfe, 0x7d])
        guard case .failure(let rejection) = result else { Issue.record("decoded"); return }
        #expect(rejection.error.code == .malformedJSON)
    }

    @Test func overLongLinesAreTooLarge() {
        let line = [UInt8](repeating: UInt8(ascii: " "), count: ControlProtocol.maxRequestBytes + 1)
        guard case .failure(let rejection) = ControlRequestDecoder.decode(line) else { Issue.record("decoded"); return }
        #expect(rejection.error.code == .tooLarge)
    }

    /// Deep nesting must be an error reply, not a stack overflow.
    @Test func deepNestingIsRefused() {
        for opener in ["[", "{\"a\":"] {
            let text = "{\"version\":1,\"command\":\"status\",\"arguments\":" + String(repeating: opener, count: 20_000)
            #expect(rejection(text) != nil)
        }
        let closed = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        #expect(rejection(#"{"version":1,"command":"status","id":\#(closed)}"#)?.error.code != nil)
    }

    /// Seeded random junk and every prefix of valid requests: always a value, never a trap.
    @Test func junkAndPrefixesNeverTrap() {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let alphabet = Array(#"{}[]":,0123456789.-eE truefalsnulversioncommandidargumentsmacaddress\"#.utf8) + [0x00, 0xff, 0x0a]
        for _ in 0 ..< 3000 {
            let count = Int(next() % 80)
            let bytes = (0 ..< count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            _ = ControlRequestDecoder.decode(bytes)
        }
        let valid = Array(#"{"version":1,"id":"r1","command":"leases.release","arguments":{"mac":"02:00:5e:10:00:02"}}"#.utf8)
        for end in 0 ..< valid.count {
            if case .success = ControlRequestDecoder.decode(valid[..<end]) { Issue.record("prefix \(end) decoded") }
        }
        #expect((try? ControlRequestDecoder.decode(valid).get()) != nil)
    }

    @Test func encodedRequestsDecodeToThemselves() throws {
        let requests = [
            ControlRequest(id: .number(1), command: .status),
            ControlRequest(id: .text("q\"uote\\\n"), command: .configReload),
            ControlRequest(id: nil, command: .leasesRelease(.mac(MACAddress(rawValue: 0x0200_5e10_0002)))),
            ControlRequest(id: .number(-3), command: .leasesRelease(.address(IPv4Address(10, 0, 0, 9)))),
        ]
        for request in requests {
            let line = request.encoded()
            #expect(line.last == UInt8(ascii: "\n"))
            #expect(try ControlRequestDecoder.decode(line.dropLast()).get() == request)
        }
    }
}
