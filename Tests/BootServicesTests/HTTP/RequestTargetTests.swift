import Testing

@testable import BootServices
import TestSupport

@Suite struct RequestTargetTests {
    static let cases: [(String, Result<[String], RequestTarget.Refusal>)] = [
        ("/", .success([])),
        ("/a/b.txt", .success(["a", "b.txt"])),
        ("/a//./b", .success(["a", "b"])),
        ("/a%20b", .success(["a b"])),
        ("/a..b", .success(["a..b"])),
        ("/x?mac=1", .success(["x"])),
        ("http://host:8080/a/b", .success(["a", "b"])),
        ("/%2Fetc", .success(["etc"])),
        ("/%252e%252e/x", .success(["%2e%2e", "x"])),  // decoded once only
        ("/../etc/passwd", .failure(.traversal)),
        ("/a/../../b", .failure(.traversal)),
        ("/%2e%2e/etc/passwd", .failure(.traversal)),
        ("/%2E%2E%2Fetc", .failure(.traversal)),
        ("/.%2e/", .failure(.traversal)),
        ("/a%00b", .failure(.malformed)),
        ("/a\\..\\b", .failure(.malformed)),
        ("/a%5c..", .failure(.malformed)),
        ("/a%zz", .failure(.malformed)),
        ("/a%2", .failure(.malformed)),
        ("/%ff", .failure(.malformed)),
        ("a/b", .failure(.malformed)),
        ("*", .failure(.malformed)),
        ("", .failure(.malformed)),
        ("http://host", .success([])),
        ("HTTPS://Host:8443/a/./b/", .success(["a", "b"])),
        ("http:/x", .failure(.malformed)),
        ("/caf\u{E9}/%C3%A9", .success(["caf\u{E9}", "\u{E9}"])),
        ("/a\u{0}b", .failure(.malformed)),
    ]

    @Test(arguments: cases)
    func resolves(_ testCase: (String, Result<[String], RequestTarget.Refusal>)) {
        let result = Result { () throws(RequestTarget.Refusal) in try RequestTarget(testCase.0).segments }
        #expect(result == testCase.1, "\(testCase.0)")
    }

    @Test func queryAndDirectory() throws {
        let target = try RequestTarget("/boot/ipxe?mac=52%3A54%3A00%3A12%3A34%3A56&x=a+b&flag")
        #expect(target.segments == ["boot", "ipxe"])
        #expect(!target.isDirectory)
        #expect(target.queryValue("mac") == "52:54:00:12:34:56")
        #expect(target.queryValue("x") == "a b")
        #expect(target.queryValue("flag") == "")
        #expect(target.queryValue("missing") == nil)
        #expect(try RequestTarget("/images/").isDirectory)
        #expect(try RequestTarget("/images/").path == "/images/")
    }

    @Test func queryAndFragment() throws {
        #expect(try RequestTarget("/a?b=1#frag").query == "b=1")
        #expect(try RequestTarget("/a#frag?b=1").query == "")
        #expect(try RequestTarget("http://h/x?mac=1").query == "mac=1")
        #expect(try RequestTarget("http://h").isDirectory)
    }

    /// The byte-based parser against the String-based one it replaced, on random targets.
    @Test func agreesWithTheStringBasedReference() {
        var generator = SplitMix64(seed: 0x5441_5247)
        let alphabet = ["/", "/", "/", ".", ".", "%", "2", "e", "E", "f", "F", "5", "c", "C", "0", "a", "?", "#",
                        "\\", "h", "t", "p", "s", ":", "H", "T", "+", "=", "&", "\u{E9}", "%C3", "%A9", "%ff", "\u{0}"]
        for _ in 0..<20_000 {
            let target = (0..<Int.random(in: 0...16, using: &generator))
                .map { _ in alphabet.randomElement(using: &generator) ?? "" }.joined()
            let new = Result { () throws(RequestTarget.Refusal) in try RequestTarget(target) }
            let old = Result { () throws(RequestTarget.Refusal) in try ReferenceTarget(target) }
            switch (new, old) {
            case let (.success(a), .success(b)):
                #expect(a.segments == b.segments && a.isDirectory == b.isDirectory && a.query == b.query, "\(target)")
            case let (.failure(a), .failure(b)):
                #expect(a == b, "\(target)")
            default:
                Issue.record("\(target.debugDescription): \(new) vs \(old)")
            }
        }
    }

    static let mediaCases: [(String, String)] = [
        ("BaseSystem.dmg", "application/x-apple-diskimage"),
        ("bootx64.efi", "application/efi"), ("BOOTX64.EFI", "application/efi"),
        ("vmlinuz", "application/octet-stream"), ("initrd.img", "application/octet-stream"),
        ("boot.ipxe", "text/plain; charset=utf-8"), ("NBImageInfo.plist", "application/x-plist"),
        ("debian.iso", "application/x-iso9660-image"), ("index.html", "text/html; charset=utf-8"),
        ("a.json", "application/json"), (".hidden", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ]

    @Test(arguments: mediaCases)
    func mediaTypes(_ testCase: (String, String)) {
        #expect(MediaType.forFileName(testCase.0) == testCase.1)
    }
}

/// The String-based request-target parser that `RequestTarget` replaced (kept as an oracle).
private struct ReferenceTarget {
    var segments: [String]
    var isDirectory: Bool
    var query: Substring

    init(_ target: String) throws(RequestTarget.Refusal) {
        var rest = Substring(target)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let lowered = rest.prefix(8).lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            let afterScheme = rest[rest.index(rest.startIndex, offsetBy: lowered.hasPrefix("http://") ? 7 : 8)...]
            rest = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        guard rest.first == "/" else { throw .malformed }
        var rawPath = rest
        query = ""
        if let mark = rest.firstIndex(of: "?") {
            rawPath = rest[..<mark]
            query = rest[rest.index(after: mark)...]
        }
        guard let decoded = RequestTarget.percentDecode(rawPath.utf8, plusIsSpace: false) else { throw .malformed }
        var segments: [String] = []
        var start = 0
        for index in 0...decoded.count {
            let byte = index < decoded.count ? decoded[index] : UInt8(ascii: "/")
            switch byte {
            case 0, UInt8(ascii: "\\"):
                throw .malformed
            case UInt8(ascii: "/"):
                let segment = decoded[start..<index]
                start = index + 1
                if segment.isEmpty || segment.elementsEqual([UInt8(ascii: ".")]) {
                } else if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                    throw .traversal
                } else {
                    guard let text = String(validating: segment, as: UTF8.self) else { throw .malformed }
                    segments.append(text)
                }
            default:
                break
            }
        }
        self.segments = segments
        isDirectory = decoded.last == UInt8(ascii: "/")
    }
}
