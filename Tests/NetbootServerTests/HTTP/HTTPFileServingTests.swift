import BootServices
import Foundation
import NIOCore
import NetbootConfig
import Testing

@testable import NetbootServer

/// The file side of the HTTP shell against a real temporary directory: the opener's
/// containment checks, the lookup's inline/sendfile split, listings, and config mapping.
@Suite struct HTTPFileServingTests {
    let base: URL
    let root: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-http-\(UUID().uuidString)")
        root = base.appendingPathComponent("root")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("0123456789".utf8).write(to: root.appendingPathComponent("ten.txt"))
        try Data(repeating: 7, count: 100_000).write(to: root.appendingPathComponent("big.bin"))
        try Data("secret".utf8).write(to: base.appendingPathComponent("secret.txt"))
        try fm.createSymbolicLink(at: root.appendingPathComponent("out"),
                                  withDestinationURL: base.appendingPathComponent("secret.txt"))
        try fm.createSymbolicLink(at: root.appendingPathComponent("in"),
                                  withDestinationURL: root.appendingPathComponent("ten.txt"))
        try fm.createSymbolicLink(at: root.appendingPathComponent("outdir"), withDestinationURL: base)
        #expect(mkfifo(root.appendingPathComponent("fifo").path, 0o644) == 0)
    }

    func cleanup() { try? FileManager.default.removeItem(at: base) }

    func lookup(_ target: String, _ conditions: FileResponse.Conditions = .init(), listing: Bool = false) throws
        -> HTTPFileLookup {
        let opener = try HTTPFileOpener(root: root.path)
        return HTTPFileLookup.perform(opener: opener, target: try RequestTarget(target), conditions: conditions,
                                      directoryListing: listing, maxRanges: 16, inlineLimit: 16 * 1024)
    }

    @Test func smallBodiesAreInlinedLargeOnesKeepTheDescriptor() throws {
        defer { cleanup() }
        guard case let .response(plan, .bytes(buffer)) = try lookup("/ten.txt") else {
            Issue.record("expected inline bytes")
            return
        }
        #expect(plan.status == 200 && String(buffer: buffer) == "0123456789")
        guard case let .response(ranged, .bytes(part)) = try lookup("/ten.txt", .init(range: "bytes=-3")) else {
            Issue.record("expected inline range")
            return
        }
        #expect(ranged.status == 206 && String(buffer: part) == "789")
        guard case let .response(big, .descriptor(file)) = try lookup("/big.bin") else {
            Issue.record("expected a descriptor for sendfile")
            return
        }
        #expect(big.bodyLength == 100_000 && file.descriptor >= 0)
        guard case let .response(head, .none) = try lookup("/big.bin", .init(isHead: true)) else {
            Issue.record("HEAD has no body")
            return
        }
        #expect(head.header("Content-Length") == "100000")
    }

    @Test func containment() throws {
        defer { cleanup() }
        func status(_ target: String, listing: Bool = false) throws -> Int {
            switch try lookup(target, listing: listing) {
            case let .response(plan, _):
                return plan.status
            case .redirect: return 301
            case .listing: return 1  // a listing
            case let .status(code): return code
            }
        }
        #expect(try status("/in") == 200)
        #expect(try status("/out") == 403)
        #expect(try status("/outdir/secret.txt") == 403)
        #expect(try status("/fifo") == 403)
        #expect(try status("/missing") == 404)
        #expect(try status("/ten.txt/x") == 404)
        #expect(try status("/ten.txt/") == 404)
        #expect(try status("/in/") == 404)
        #expect(try status("/sub") == 301)
        #expect(try status("/sub/") == 403)
        #expect(try status("/sub/", listing: true) == 1)
    }

    @Test func aMissingRootAnswers404UntilItExists() throws {
        defer { cleanup() }
        let later = base.appendingPathComponent("later")
        let opener = try HTTPFileOpener(root: later.path)
        #expect(!opener.rootExisted)
        func status() throws -> Int {
            switch HTTPFileLookup.perform(opener: opener, target: try RequestTarget("/a.txt"), conditions: .init(),
                                          directoryListing: false, maxRanges: 16, inlineLimit: 1024) {
            case let .response(plan, _): plan.status
            case let .status(code): code
            default: 0
            }
        }
        #expect(try status() == 404)
        try FileManager.default.createDirectory(at: later, withIntermediateDirectories: true)
        try Data("a".utf8).write(to: later.appendingPathComponent("a.txt"))
        #expect(try status() == 200)
    }

    @Test func listingEscapesNames() {
        let html = HTTPDirectoryListing.html(path: "/a<b>/", names: ["x\"y.txt", "d/"])
        #expect(html.contains("<title>Index of /a&lt;b&gt;/</title>"))
        #expect(html.contains("<a href=\"x%22y.txt\">x&quot;y.txt</a>"))
        #expect(html.contains("<a href=\"d/\">d/</a>"))
        #expect(HTTPDirectoryListing.percentEncode("a b\r\n") == "a%20b%0D%0A")
    }

    @Test func optionsFromConfiguration() throws {
        defer { cleanup() }
        let deb = root.appendingPathComponent("pxe/deb")
        try FileManager.default.createDirectory(at: deb, withIntermediateDirectories: true)
        try Data("k".utf8).write(to: deb.appendingPathComponent("vmlinuz"))
        try Data("i".utf8).write(to: deb.appendingPathComponent("initrd.img"))
        var configuration = NetbootConfiguration.defaults
        configuration.imagesDir = root.path
        configuration.http.root = root.path
        configuration.http.port = 8080
        configuration.http.maxConnections = 7
        configuration.http.idleTimeout = 5
        configuration.pxe.images = [.init(name: "deb", kernel: "vmlinuz", initrd: "initrd.img", cmdline: "ip={ip}")]
        configuration.pxe.defaultImage = "deb"
        let options = HTTPService.Options(configuration, metrics: nil)
        #expect(options.port == 8080 && options.limits.maxConnections == 7)
        #expect(options.limits.idleTimeout == .seconds(5))
        #expect(options.limits.requestTimeout == .seconds(10) && options.limits.maxConnectionsPerClient == 32)
        #expect(options.accessLog && !options.accessLogHealthChecks && options.redactQueries)
        configuration.http.requestTimeout = 3
        configuration.http.maxConnectionsPerClient = 4
        configuration.http.accessLog = false
        configuration.http.accessLogHealthChecks = true
        configuration.http.accessLogQueries = .full
        let changed = HTTPService.Options(configuration, metrics: nil)
        #expect(changed.limits.requestTimeout == .seconds(3) && changed.limits.maxConnectionsPerClient == 4)
        #expect(!changed.accessLog && changed.accessLogHealthChecks && !changed.redactQueries)
        #expect(options.ipxe.images.map(\.name) == ["deb"])
        #expect(options.ipxe.images.first?.kernel.hasSuffix("pxe/deb/vmlinuz") == true)
        #expect(options.ipxe.defaultImage == "deb")
        // No declared images: the folders under <images-dir>/pxe/ are scanned.
        configuration.pxe.images = []
        configuration.pxe.defaultImage = nil
        #expect(HTTPService.Options(configuration, metrics: nil).ipxe.images.map(\.name) == ["deb"])
    }
}
