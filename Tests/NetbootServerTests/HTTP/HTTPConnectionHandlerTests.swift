import BootServices
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NetbootWire
import Testing

@testable import NetbootServer

/// The connection handler on an EmbeddedChannel: pipelined heads answered in order, heads
/// split anywhere, back-pressure (nothing answered while the channel is not writable),
/// errors answered then closed, bodies skipped, file bodies inline or as FileRegions whose
/// descriptor is closed once written.
@Suite struct HTTPConnectionHandlerTests {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-conn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("0123456789".utf8).write(to: root.appendingPathComponent("ten.txt"))
        try Data(repeating: 0x41, count: 100_000).write(to: root.appendingPathComponent("big.bin"))
    }

    func cleanup() { try? FileManager.default.removeItem(at: root) }

    func channel() throws -> EmbeddedChannel {
        var options = HTTPService.Options(root: root.path)
        options.accessLog = false
        let shared = HTTPConnectionHandler.Shared(
            options: options, opener: try HTTPFileOpener(root: root.path), pool: nil,
            logger: Logger(label: "test"), metrics: HTTPServerMetrics(), connections: HTTPConnectionLimiter(max: 10))
        let channel = EmbeddedChannel(handler: HTTPConnectionHandler(shared: shared))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    /// Everything written so far: text, and the FileRegions as they were handed over.
    func drained(_ channel: EmbeddedChannel) throws -> (text: String, regions: [FileRegion]) {
        var text = ""
        var regions: [FileRegion] = []
        while let part = try channel.readOutbound(as: IOData.self) {
            switch part {
            case let .byteBuffer(buffer): text += String(buffer: buffer)
            case let .fileRegion(region): regions.append(region)
            }
        }
        return (text, regions)
    }

    /// The status codes of the status lines in `text` (bodies here never contain "HTTP/1.").
    static func statuses(_ text: String) -> [String] {
        text.components(separatedBy: "HTTP/1.").dropFirst().map { String($0.dropFirst(2).prefix(3)) }
    }

    @Test func pipelinedHeadsAreAnsweredInOrder() throws {
        defer { cleanup() }
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET /ten.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=2-4\r\n\r\n"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nHEAD /ten.txt HTTP/1.1\r\nHost: x\r\n\r\n"))
        let (text, regions) = try drained(channel)
        #expect(Self.statuses(text) == ["206", "200", "404", "200"])
        #expect(text.contains("\r\n\r\n234HTTP/1.1 200 OK") && text.contains("\r\n\r\nok\nHTTP/1.1 404"))
        #expect(text.hasSuffix("Content-Length: 10\r\n\r\n"))  // HEAD: the length, no body
        #expect(regions.isEmpty && channel.isActive)
    }

    @Test func headsSplitAnywhereGiveTheSameAnswer() throws {
        defer { cleanup() }
        let request = Array("GET /ten.txt HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        for split in 1..<request.count {
            let channel = try channel()
            try channel.writeInbound(ByteBuffer(bytes: request[..<split]))
            #expect(try drained(channel).text.isEmpty)
            try channel.writeInbound(ByteBuffer(bytes: request[split...]))
            let text = try drained(channel).text
            #expect(Self.statuses(text) == ["200"] && text.hasSuffix("0123456789"), "split at \(split)")
        }
    }

    @Test func nothingIsAnsweredWhileTheChannelIsNotWritable() throws {
        defer { cleanup() }
        let channel = try channel()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /ten.txt HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try drained(channel).text.isEmpty)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(Self.statuses(try drained(channel).text) == ["200", "200"])
    }

    @Test func badHeadsAreAnsweredThenClosed() throws {
        defer { cleanup() }
        for (request, status) in [("GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "400"),
                                  ("GET /x HTTP/2.0\r\n\r\n", "505"),
                                  ("GET /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "501"),
                                  ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n", "414"),
                                  ("DELETE /ten.txt HTTP/1.1\r\nHost: x\r\n\r\n", "405")] {
            let channel = try channel()
            try channel.writeInbound(ByteBuffer(string: request + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            let text = try drained(channel).text
            #expect(Self.statuses(text) == [status], "\(request.prefix(40))")
            #expect(text.contains("\r\nConnection: close\r\n"))
            #expect(!channel.isActive)
        }
    }

    @Test func requestBodiesAreSkipped() throws {
        defer { cleanup() }
        let channel = try channel()
        let smuggled = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n"
            + smuggled.prefix(10)))
        try channel.writeInbound(ByteBuffer(string: smuggled.dropFirst(10) + "GET /ten.txt HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(Self.statuses(try drained(channel).text) == ["200", "200"])
    }

    @Test func closeIsHonoured() throws {
        defer { cleanup() }
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(Self.statuses(try drained(channel).text) == ["200"])
        #expect(!channel.isActive)
    }

    @Test func largeBodiesGoOutAsFileRegionsAndTheirDescriptorIsClosed() throws {
        defer { cleanup() }
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,50000-50001\r\n\r\n"))
        let (text, regions) = try drained(channel)
        #expect(Self.statuses(text) == ["200", "206"])
        #expect(regions.map(\.readableBytes) == [100_000, 2, 2])
        #expect(text.contains("multipart/byteranges") && text.hasSuffix("--\r\n"))
        #expect(regions.allSatisfy { !$0.fileHandle.isOpen })  // released once written (HTTPOpenFile closes)
    }

    /// The access log's milliseconds, formatted from integers, are the text the log always
    /// had (`Double(nanoseconds / 1000) / 1000`).
    @Test func accessLogMillisecondsKeepTheirText() {
        var samples: [Int64] = [0, 999, 1000, 1500, 10_000, 50_000, 100_000, 123_456, 1_000_000, 1_234_567,
                                12_000_000, 999_999_999, 1_000_000_000, 86_400_000_000_000, -5000]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { samples.append(Int64.random(in: 0...100_000_000_000, using: &generator)) }
        for nanoseconds in samples {
            #expect(HTTPConnectionHandler.milliseconds(nanoseconds) == "\(Double(nanoseconds / 1000) / 1000)",
                    "\(nanoseconds)")
        }
        #expect(HTTPConnectionHandler.milliseconds(1_500_000) == "1.5")
        #expect(HTTPConnectionHandler.milliseconds(50_000) == "0.05")
        #expect(HTTPConnectionHandler.milliseconds(12_000_000) == "12.0")
    }
}

/// `/boot/ipxe` with a boot-session source (issue 17): the session is decided off the event
/// loop, the script carries it, later pipelined heads wait their turn, and a failing source
/// gives the plain menu.
@Suite struct HTTPBootScriptTests {
    struct Source: IPXEBootSessionSource {
        let fail: Bool
        func session(for mac: MACAddress?) throws -> IPXEBootSession {
            struct Down: Error {}
            if fail { throw Down() }
            return mac == MACAddress("52:54:00:00:00:01") ? IPXEBootSession(localBoot: "image applied")
                : IPXEBootSession(kernelArguments: ["netboot.token=nbt_\(mac?.description ?? "-")"])
        }
    }

    func exchange(_ request: String, fail: Bool = false) throws -> String {
        var options = HTTPService.Options(root: FileManager.default.temporaryDirectory.path)
        options.accessLog = false
        options.ipxe = IPXEBootMenu(images: [IPXEImage(name: "deb", kernel: "pxe/deb/vmlinuz")], defaultImage: "deb")
        options.bootSessions = Source(fail: fail)
        let shared = HTTPConnectionHandler.Shared(
            options: options, opener: try HTTPFileOpener(root: options.root), pool: nil,
            logger: Logger(label: "test"), metrics: HTTPServerMetrics(), connections: HTTPConnectionLimiter(max: 10))
        let channel = EmbeddedChannel(handler: HTTPConnectionHandler(shared: shared))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        try channel.writeInbound(ByteBuffer(string: request))
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            channel.embeddedEventLoop.run()
            while let part = try channel.readOutbound(as: IOData.self) {
                if case let .byteBuffer(buffer) = part { text += String(buffer: buffer) }
            }
            if HTTPConnectionHandlerTests.statuses(text).count == request.components(separatedBy: "\r\n\r\n").count - 1 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return text
    }

    @Test func theSessionReachesTheScriptInOrder() throws {
        let text = try exchange("GET /boot/ipxe?mac=52:54:00:00:00:02 HTTP/1.1\r\nHost: boot\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /boot/ipxe?mac=52:54:00:00:00:01 HTTP/1.1\r\nHost: boot\r\n\r\n")
        #expect(HTTPConnectionHandlerTests.statuses(text) == ["200", "200", "200"], "\(text)")
        let menu = try #require(text.range(of: "kernel http://boot/pxe/deb/vmlinuz netboot.token=nbt_52:54:00:00:00:02\n"))
        let health = try #require(text.range(of: "\r\n\r\nok\n"))
        let local = try #require(text.range(of: "echo netboot: booting from the local disk: image applied\nexit 1\n"))
        #expect(menu.lowerBound < health.lowerBound && health.lowerBound < local.lowerBound)
        #expect(text.contains("Cache-Control: no-store"))
    }

    @Test func aFailingSourceGivesThePlainMenu() throws {
        let text = try exchange("GET /boot/ipxe?mac=52:54:00:00:00:01 HTTP/1.1\r\nHost: boot\r\n\r\n", fail: true)
        #expect(HTTPConnectionHandlerTests.statuses(text) == ["200"])
        #expect(text.hasSuffix("#!ipxe\nkernel http://boot/pxe/deb/vmlinuz\nboot\n"), "\(text)")
    }
}
