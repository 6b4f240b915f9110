import Foundation
import Testing

@testable import BootServices
import TestSupport

/// The request-head parser against RFC 9112: what it keeps, every malformed case with the
/// status it answers, the limits, and properties over random and split input.
@Suite struct RequestHeadParserTests {
    typealias Outcome = RequestHeadParser.Outcome

    static func parse(_ bytes: [UInt8], limits: RequestHeadParser.Limits = .init()) -> Outcome {
        var parser = RequestHeadParser(limits: limits)
        return bytes.withUnsafeBytes { parser.parse($0) }
    }

    static func parse(_ text: String, limits: RequestHeadParser.Limits = .init()) -> Outcome {
        parse(Array(text.utf8), limits: limits)
    }

    static func head(_ text: String) -> RequestHead? {
        if case let .head(head, _) = parse(text) { return head }
        return nil
    }

    // MARK: what is kept

    @Test func simpleGet() {
        let text = "GET /ranged.bin HTTP/1.1\r\nHost: example\r\nUser-Agent: wrk\r\n\r\n"
        #expect(Self.parse(text) == .head(RequestHead(method: .get, target: "/ranged.bin", host: "example"),
                                          length: text.utf8.count))
    }

    @Test func methodsAndVersions() {
        #expect(Self.head("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")?.method == .head)
        #expect(Self.head("POST / HTTP/1.1\r\nHost: a\r\n\r\n")?.method == .other("POST"))
        #expect(Self.head("get / HTTP/1.1\r\nHost: a\r\n\r\n")?.method == .other("get"))  // case-sensitive
        let old = Self.head("GET / HTTP/1.0\r\n\r\n")
        #expect(old?.minorVersion == 0 && old?.keepAlive == false && old?.host == nil)
        #expect(Self.head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")?.keepAlive == true)
        #expect(Self.head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")?.keepAlive == false)
        #expect(Self.head("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade ,CLOSE\r\n\r\n")?.keepAlive == false)
        #expect(Self.head("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n")?.keepAlive == true)
        #expect(Self.head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")?.keepAlive == false)
        #expect(Self.head("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n")?.keepAlive == true)
        #expect(Self.head("GET / HTTP/1.9\r\nHost: a\r\n\r\n")?.minorVersion == 1)  // RFC 9110 §6.2
    }

    @Test func fieldsAreTypedTrimmedAndCaseInsensitive() {
        let text = "GET /x?mac=1 HTTP/1.1\r\nhOsT:\tserver:8080 \r\nRANGE:  bytes=0-9\t\r\n"
            + "If-Range: \"abc\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\nIf-Match: \"m\"\r\n"
            + "If-None-Match: \"a\"\r\nX-Other: ignored\r\nIf-None-Match: W/\"b\"\r\nContent-Length: 0\r\n\r\n"
        let expected = RequestHead(
            method: .get, target: "/x?mac=1", host: "server:8080", range: "bytes=0-9", ifRange: "\"abc\"",
            ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT", ifUnmodifiedSince: "Sun, 06 Nov 1994 08:49:36 GMT",
            ifMatch: "\"m\"", ifNoneMatch: "\"a\", W/\"b\"")
        #expect(Self.head(text) == expected)
        let conditions = expected.conditions
        #expect(conditions.range == "bytes=0-9" && conditions.ifNoneMatch == "\"a\", W/\"b\"" && !conditions.isHead)
    }

    @Test func emptyListLinesAddNothing() {
        let head = Self.head("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match:\r\nIf-None-Match: \"x\"\r\nIf-None-Match: \r\n\r\n")
        #expect(head?.ifNoneMatch == "\"x\"")
    }

    @Test func singletonFieldsKeepTheFirst() {
        let head = Self.head("GET / HTTP/1.1\r\nHost: a\r\nIf-Range: \"x\"\r\nIf-Range: \"y\"\r\n\r\n")
        #expect(head?.ifRange == "\"x\"")
    }

    /// Two `Range` fields are an error, not the first one served (nginx: 400).
    @Test func twoRangeFieldsAreRefused() {
        #expect(Self.parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\nRange: bytes=5-6\r\n\r\n")
                == .error(.badRequest(.range)))
    }

    @Test func bareLineFeedsAndLeadingEmptyLines() {
        let text = "\r\n\nGET /a HTTP/1.1\nHost: h\n\n"
        #expect(Self.parse(text) == .head(RequestHead(method: .get, target: "/a", host: "h"), length: text.utf8.count))
        let mixed = "GET /a HTTP/1.1\r\nHost: h\n\r\n"
        #expect(Self.parse(mixed) == .head(RequestHead(method: .get, target: "/a", host: "h"), length: mixed.utf8.count))
    }

    @Test func contentLengthBodiesAreFramed() {
        #expect(Self.head("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n")?.contentLength == 12)
        #expect(Self.head("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n")?.contentLength == 7)
    }

    @Test func pipelinedHeadsComeOneAtATime() {
        let first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        let bytes = Array((first + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HT").utf8)
        var parser = RequestHeadParser()
        var rest = bytes[...]
        var targets: [String] = []
        while true {
            let outcome = rest.withUnsafeBytes { parser.parse($0) }
            guard case let .head(head, length) = outcome else {
                #expect(outcome == .needMore)
                break
            }
            targets.append(head.target)
            rest = rest.dropFirst(length)
        }
        #expect(targets == ["/1", "/2"])
        #expect(Array(rest) == Array("GET /3 HT".utf8))
    }

    @Test func utf8TargetsPass() {
        #expect(Self.head("GET /caf\u{E9}.txt HTTP/1.1\r\nHost: a\r\n\r\n")?.target == "/caf\u{E9}.txt")
    }

    @Test(arguments: ["", "G", "GET /", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\n",
                      "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r", "\r\n", "\r\n\r"])
    func partialHeadsNeedMore(_ text: String) {
        #expect(Self.parse(text) == .needMore)
    }

    // MARK: malformed

    static let malformed: [(String, RequestHeadError)] = [
        ("GARBAGE\r\n\r\n", .badRequest(.requestLine)),
        ("GET\r\n\r\n", .badRequest(.requestLine)),
        ("GET /\r\nHost: a\r\n\r\n", .badRequest(.requestLine)),  // HTTP/0.9
        (" GET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest(.requestLine)),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest(.requestLine)),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .badRequest(.version)),
        ("GET /a b c HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest(.version)),
        ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest(.method)),
        ("GET /x HTTP/9.9\r\n\r\n", .versionNotSupported),
        ("GET /x HTTP/2.0\r\nHost: a\r\n\r\n", .versionNotSupported),
        ("GET /x HTTP/0.9\r\nHost: a\r\n\r\n", .versionNotSupported),
        ("GET /x http/1.1\r\nHost: a\r\n\r\n", .badRequest(.version)),
        ("GET /x HTTP/1.10\r\nHost: a\r\n\r\n", .badRequest(.version)),
        ("GET /x HTTP/1\r\nHost: a\r\n\r\n", .badRequest(.version)),
        ("GET /x HTTP/1.1\r\r\nHost: a\r\n\r\n", .badRequest(.version)),
        ("GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest(.target)),
        ("GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest(.target)),
        ("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest(.target)),
        ("GET /x HTTP/1.1\r\nBad Header Without Colon\r\n\r\n", .badRequest(.fieldName)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .badRequest(.missingColon)),
        ("GET /x HTTP/1.1\r\nHost : a\r\n\r\n", .badRequest(.fieldName)),
        ("GET /x HTTP/1.1\r\nHost\t: a\r\n\r\n", .badRequest(.fieldName)),
        ("GET /x HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", .badRequest(.fieldName)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", .badRequest(.obsoleteFolding)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n\ttwo\r\n\r\n", .badRequest(.obsoleteFolding)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", .badRequest(.fieldValue)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", .badRequest(.fieldValue)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nX: a\u{7F}\r\n\r\n", .badRequest(.fieldValue)),
        ("GET /x HTTP/1.1\r\n\r\n", .badRequest(.host)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .badRequest(.host)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\nRange: bytes=5-9\r\n\r\n", .badRequest(.range)),
        ("GET /x HTTP/1.0\r\nrange: bytes=0-1\r\nRANGE: bytes=0-1\r\n\r\n", .badRequest(.range)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", .badRequest(.contentLength)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .badRequest(.contentLength)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", .badRequest(.contentLength)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", .badRequest(.contentLength)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", .badRequest(.contentLength)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .badRequest(.contentLength)),
        ("GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingNotImplemented),
        ("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .transferEncodingNotImplemented),
        ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         .badRequest(.contentLengthWithTransferEncoding)),
        ("GET /x HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\nContent-Length: x\r\n\r\n",
         .badRequest(.contentLengthWithTransferEncoding)),
        ("GET /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest(.transferEncodingInHTTP10)),
        ("\u{0}\u{1}\u{2}\u{3}\r\n\r\n", .badRequest(.requestLine)),
    ]

    @Test(arguments: malformed)
    func malformedHeadsAreRefused(_ testCase: (String, RequestHeadError)) {
        #expect(Self.parse(testCase.0) == .error(testCase.1), "\(testCase.0.debugDescription)")
    }

    @Test func invalidUTF8TargetIsRefused() {
        let bytes = Array("GET /a".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        #expect(Self.parse(bytes) == .error(.badRequest(.target)))
        let obsText = Array("GET / HTTP/1.1\r\nHost: a\r\nX: ".utf8) + [0xFF] + Array("\r\n\r\n".utf8)
        #expect(Self.parse(obsText) != .error(.badRequest(.fieldValue)))  // obs-text is allowed in values
    }

    @Test(arguments: [400, 414, 431, 501, 505])
    func everyErrorHasItsStatus(_ status: Int) {
        let errors: [RequestHeadError] = [.badRequest(.host), .targetTooLong, .headerTooLarge,
                                          .transferEncodingNotImplemented, .versionNotSupported]
        #expect(errors.contains { $0.status == status })
    }

    // MARK: limits

    @Test func longTargetsAre414() {
        let limits = RequestHeadParser.Limits(maxTargetBytes: 100, maxFieldBytes: 200)
        let ok = "GET /" + String(repeating: "a", count: 99) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        if case .head = Self.parse(ok, limits: limits) {} else { Issue.record("100-byte target refused") }
        let long = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(Self.parse(long, limits: limits) == .error(.targetTooLong))
        // A request line that never ends is refused once it passes target + slack, unbuffered.
        let endless = "GET /" + String(repeating: "a", count: 100 + RequestHeadParser.requestLineSlack)
        #expect(Self.parse(endless, limits: limits) == .error(.targetTooLong))
        #expect(Self.parse(String(endless.dropLast(5)), limits: limits) == .needMore)
    }

    @Test func largeHeadersAre431() {
        let limits = RequestHeadParser.Limits(maxTargetBytes: 100, maxFieldBytes: 200)
        let fields = "Host: a\r\n" + "X: " + String(repeating: "b", count: 180) + "\r\n\r\n"
        let head = "GET / HTTP/1.1\r\n" + fields
        #expect(fields.utf8.count == 196)
        if case .head = Self.parse(head, limits: limits) {} else { Issue.record("196 field bytes refused") }
        let over = "GET / HTTP/1.1\r\nHost: a\r\n" + "X: " + String(repeating: "b", count: 185) + "\r\n\r\n"
        #expect(Self.parse(over, limits: limits) == .error(.headerTooLarge))
        // Unfinished and already over: refused without waiting for the end.
        let flood = "GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 300)
        #expect(Self.parse(flood, limits: limits) == .error(.headerTooLarge))
        let blank = String(repeating: "\r\n", count: 200) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(Self.parse(blank, limits: limits) == .error(.badRequest(.blankLines)))
    }

    @Test func oneMegabyteOfHeadersIsRefusedEarly() {
        var parser = RequestHeadParser()
        var bytes = Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)
        var outcome = Outcome.needMore
        while outcome == .needMore, bytes.count < 1 << 20 {
            bytes += Array("X-Filler: \(String(repeating: "a", count: 1000))\r\n".utf8)
            outcome = bytes.withUnsafeBytes { parser.parse($0) }
        }
        #expect(outcome == .error(.headerTooLarge))
        #expect(bytes.count < 40 * 1024)  // decided after ~32 KiB, not 1 MiB
    }

    // MARK: properties

    static let samples: [String] = [
        "GET /ranged.bin HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nRange: bytes=1048576-1052671\r\n\r\n",
        "\r\nHEAD /a%20b?x=1 HTTP/1.0\nConnection: keep-alive\nIf-None-Match: \"x\"\n\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /x HTTP/2.0\r\nHost: a\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET /" + String(repeating: "p", count: 200) + " HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 300) + "\r\n\r\n",
        "GET / HTTP/1.1\r\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n\r\n",
    ]

    /// Feeding a head in two pieces, split anywhere, or one byte at a time, gives what the whole
    /// head gives.
    @Test(arguments: samples)
    func splittingNeverChangesTheOutcome(_ text: String) {
        let limits = RequestHeadParser.Limits(maxTargetBytes: 150, maxFieldBytes: 250)
        let bytes = Array(text.utf8)
        let whole = Self.parse(bytes, limits: limits)
        #expect(whole != .needMore)
        for split in 0...bytes.count {
            var parser = RequestHeadParser(limits: limits)
            let first = bytes[..<split].withUnsafeBytes { parser.parse($0) }
            if first != .needMore {
                #expect(first == whole, "split at \(split)")
                continue
            }
            #expect(bytes.withUnsafeBytes { parser.parse($0) } == whole, "split at \(split)")
        }
        var parser = RequestHeadParser(limits: limits)
        var outcome = Outcome.needMore
        for count in 0...bytes.count where outcome == .needMore {
            outcome = bytes[..<count].withUnsafeBytes { parser.parse($0) }
        }
        #expect(outcome == whole)
    }

    /// Random bytes, and random mutations of good heads, always come back as a value — and the
    /// same value whether fed whole or byte by byte.
    @Test func randomInputNeverTrapsAndSplitsAgree() {
        var generator = SplitMix64(seed: 0x4854_5450)
        let limits = RequestHeadParser.Limits(maxTargetBytes: 64, maxFieldBytes: 128)
        let alphabet = Array("GET HEAD / HTTP/1.1 \r\n:Host-Range,close".utf8) + [0, 0x7F, 0x80, 0xFF, 9]
        for round in 0..<3000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1:
                bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            default:
                bytes = Array((Self.samples.randomElement(using: &generator) ?? "").utf8)
                for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0...2, using: &generator) {
                    case 0: bytes[at] = alphabet.randomElement(using: &generator) ?? 0
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(alphabet.randomElement(using: &generator) ?? 0, at: at)
                    }
                }
            }
            let whole = Self.parse(bytes, limits: limits)
            var parser = RequestHeadParser(limits: limits)
            var fed = Outcome.needMore
            for count in 0...bytes.count where fed == .needMore {
                fed = bytes[..<count].withUnsafeBytes { parser.parse($0) }
            }
            #expect(fed == whole, "\(bytes)")
            if case let .head(_, length) = whole { #expect(length > 0 && length <= bytes.count) }
        }
    }

    /// The committed seeds and regression inputs of the `http-head` fuzz target
    /// (Fuzz/corpus/http-head/, docs/fuzzing.md): byte 0 the limits, byte 1 a split point, then
    /// a connection's bytes; every head parses the same whole, split, or byte by byte, and
    /// list values carry no empty elements at their ends.
    @Test func fuzzCorpusReplays() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("Fuzz/corpus/http-head")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.count >= 6)
        for name in names {
            let input = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
            guard input.count >= 2 else { continue }
            let limits = RequestHeadParser.Limits(maxTargetBytes: 8 + Int(input[0] & 0x3F) * 8,
                                                  maxFieldBytes: 16 + Int(input[0] >> 6) * 200)
            var rest = input.dropFirst(2)
            while !rest.isEmpty {
                let whole = Self.parse(Array(rest), limits: limits)
                var parser = RequestHeadParser(limits: limits)
                var fed = Outcome.needMore
                for count in 0...rest.count where fed == .needMore {
                    fed = Array(rest.prefix(count)).withUnsafeBytes { parser.parse($0) }
                }
                #expect(fed == whole, "\(name)")
                guard case let .head(head, length) = whole else { break }
                for value in [head.ifMatch, head.ifNoneMatch].compactMap({ $0 }) {
                    #expect(!value.hasSuffix(" ") && !value.hasPrefix(","), "\(name)")
                }
                rest = rest.dropFirst(length)
            }
        }
    }
}
