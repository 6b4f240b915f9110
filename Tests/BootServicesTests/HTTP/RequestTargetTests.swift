import Testing

@testable import BootServices

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
