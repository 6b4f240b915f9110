import Foundation
import Testing
import TaskSequenceCore
@testable import TaskSequenceDrivers

/// A scratch directory removed after the test.
final class Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "drivers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a tool (gzip, zstd, xz) over `input`, returning its output.
func tool(_ name: String, _ arguments: [String], input: Data) throws -> Data? {
    let candidates = ["/usr/bin/\(name)", "/bin/\(name)"]
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    let writer = Thread { stdin.fileHandleForWriting.write(input); try? stdin.fileHandleForWriting.close() }
    writer.start()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return out
}

/// 1 MiB of a pattern, 1 MiB of zeros, 1000 bytes of pattern (not block-aligned).
func sampleContent() -> Data {
    var data = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
    data.append(Data(count: 1 << 20))
    data.append(Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &+ 1) }))
    return data
}

func decodeAll(_ compression: ImageCompression, _ input: Data, chunk: Int) throws -> Data {
    let decoder = try StreamDecoders.make(compression, bufferSize: 4096)
    var out = Data()
    let sink: (UnsafeRawBufferPointer) throws -> Void = { out.append(contentsOf: $0) }
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunk)
        try input[offset..<end].withUnsafeBytes { try decoder.decode($0, sink: sink) }
        offset = end
    }
    try decoder.finish(sink: sink)
    return out
}

@Suite struct DecoderTests {
    @Test(arguments: [("gzip", ImageCompression.gzip, ["-c"]), ("zstd", .zstd, ["-q", "-c"]), ("xz", .xz, ["-c"])])
    func decodesWhatTheToolWrote(_ name: String, _ compression: ImageCompression, _ arguments: [String]) throws {
        let content = sampleContent()
        guard let compressed = try tool(name, arguments, input: content) else {
            print("skipped: \(name) not installed"); return
        }
        #expect(ImageCompression.detect(Array(compressed.prefix(8))) == compression)
        for chunk in [1, 7, 4096, 1 << 20] where chunk > 1 || compressed.count < 300_000 {
            #expect(try decodeAll(compression, compressed, chunk: chunk) == content, "\(name) in chunks of \(chunk)")
        }
        // Cut short anywhere: an error, never a silent short image.
        for cut in [compressed.count / 2, compressed.count - 1] {
            #expect(throws: DecodeFailure.self, "\(name) cut at \(cut)") { _ = try decodeAll(compression, compressed.prefix(cut), chunk: 65536) }
        }
        // Garbage after a valid magic is refused.
        var garbage = Data(compressed.prefix(6))
        garbage.append(Data(repeating: 0x55, count: 4096))
        #expect(throws: DecodeFailure.self) { _ = try decodeAll(compression, garbage, chunk: 65536) }
    }

    /// A ratio of thousands: one input chunk fills the output buffer many times over, and
    /// the image ends exactly at a buffer boundary (found by the end-to-end test).
    @Test(arguments: [("gzip", ImageCompression.gzip, ["-c"]), ("zstd", .zstd, ["-q", "-c"]), ("xz", .xz, ["-c"])])
    func highlyCompressibleImageEndingOnABufferBoundary(_ name: String, _ compression: ImageCompression, _ arguments: [String]) throws {
        var content = Data((0..<(1 << 16)).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        content.append(Data(count: (8 << 20) - (1 << 16)))
        guard let compressed = try tool(name, arguments, input: content) else { print("skipped: \(name) not installed"); return }
        let decoder = try StreamDecoders.make(compression, bufferSize: 1 << 20)
        var count = 0
        let sink: (UnsafeRawBufferPointer) throws -> Void = { count += $0.count }
        try compressed.withUnsafeBytes { try decoder.decode($0, sink: sink) }
        try decoder.finish(sink: sink)
        #expect(count == content.count)
    }

    @Test func rawIsEverythingElse() {
        #expect(ImageCompression.detect([0, 0, 0, 0]) == .raw)
        #expect(ImageCompression.detect([]) == .raw)
    }
}

@Suite struct SparseWriterTests {
    @Test func zeroCheckFindsALoneByteAnywhere() {
        for count in [1, 7, 4096, 4097, 3 * 4096 + 5] {
            var bytes = [UInt8](repeating: 0, count: count)
            #expect(bytes.withUnsafeBytes { SparseWriter.isZero($0.baseAddress!, count) })
            for position in Set([0, count / 2, count - 1]) {
                bytes[position] = 1
                #expect(!bytes.withUnsafeBytes { SparseWriter.isZero($0.baseAddress!, count) }, "count \(count), byte \(position)")
                bytes[position] = 0
            }
        }
    }

    @Test func skipsZeroBlocksAndKeepsTheContent() throws {
        let scratch = try Scratch()
        let path = scratch.path + "/disk"
        let content = sampleContent()
        let writer = try SparseWriter(path: path)
        // Odd chunk sizes so zero runs straddle chunk boundaries.
        var offset = 0
        for size in [5000, 123_457, 1 << 20, 999_999, 1 << 21] where offset < content.count {
            let end = min(content.count, offset + size)
            try content[offset..<end].withUnsafeBytes { try writer.write($0) }
            offset = end
        }
        try writer.finish()
        #expect(writer.skipped >= (1 << 20) - 8192)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
        var status = stat()
        stat(path, &status)
        #expect(Int(status.st_blocks) * 512 < content.count - (1 << 19), "the zero MiB is a hole")
    }

    /// Past several write-back windows (started and waited for as the writer goes), with
    /// chunks that straddle the windows' edges, the file holds exactly what was written.
    @Test func contentSurvivesWriteBackAcrossWindows() throws {
        let scratch = try Scratch()
        let path = scratch.path + "/disk"
        var content = Data()
        var index = 0
        while content.count <= 3 * SparseWriter.writeBackWindow {
            content.append(index % 2 == 0 ? sampleContent() : Data(count: 1 << 20))
            index += 1
        }
        let writer = try SparseWriter(path: path)
        var offset = 0
        var size = 777_777
        while offset < content.count {
            let end = min(content.count, offset + size)
            try content[offset..<end].withUnsafeBytes { try writer.write($0) }
            offset = end
            size = size * 3 % 2_000_003 + 1
        }
        try writer.finish()
        #expect(content.count > 3 * SparseWriter.writeBackWindow)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
    }

    @Test func trailingZerosKeepTheLength() throws {
        let scratch = try Scratch()
        let path = scratch.path + "/disk"
        let writer = try SparseWriter(path: path)
        try Data(count: 10_000).withUnsafeBytes { try writer.write($0) }
        try writer.finish()
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 10_000)
    }

    @Test func refusesADirectory() throws {
        let scratch = try Scratch()
        #expect(throws: SparseWriter.Failure.self) { _ = try SparseWriter(path: scratch.path) }
    }
}

@Suite struct ApplyImageTests {
    private func context(_ scratch: Scratch, log: @escaping @Sendable (String) -> Void = { _ in }) -> StepContext {
        StepContext(imagesDirectory: scratch.path + "/images", log: log)
    }

    private func step(_ image: String, _ destination: String) -> ResolvedStep {
        ResolvedStep(pointer: 0, attempt: 1, name: "apply", type: .applyImage, properties: ["image": image, "destination": destination])
    }

    @Test(arguments: [true, false])
    func appliesVerifiesAndRefusesAMismatch(parallel: Bool) throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/images", withIntermediateDirectories: true)
        let content = sampleContent()
        guard let compressed = try tool("zstd", ["-q", "-c"], input: content) else { print("skipped: zstd not installed"); return }
        try compressed.write(to: URL(fileURLWithPath: scratch.path + "/images/base.img.zst"))
        let digest = try #require(SHA256Stream()).finishing(content)
        try (digest + "  base.img\n").write(toFile: scratch.path + "/images/base.img.zst.sha256", atomically: true, encoding: .utf8)
        let disk = scratch.path + "/disk"
        var verifying = context(scratch)
        verifying.verifyAfterWrite = true
        #expect(ApplyImageDriver(parallel: parallel).run(step("base", disk), context: verifying) == .exited(0))
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk)) == content)

        try (String(repeating: "0", count: 64) + "\n").write(toFile: scratch.path + "/images/base.img.zst.sha256", atomically: true, encoding: .utf8)
        guard case .failed(let message) = ApplyImageDriver(parallel: parallel).run(step("base", disk), context: context(scratch)) else {
            Issue.record("a wrong checksum did not fail the step"); return
        }
        #expect(message.contains("SHA-256 mismatch"))
    }

    @Test func refusesBadNamesAndDestinations() throws {
        let scratch = try Scratch()
        for (image, destination) in [("../etc/passwd", "/tmp/x"), ("missing", "/tmp/x"), ("base", "Macintosh HD")] {
            guard case .failed = ApplyImageDriver().run(step(image, destination), context: context(scratch)) else {
                Issue.record("\(image) → \(destination) was not refused"); continue
            }
        }
    }
}

extension SHA256Stream {
    func finishing(_ data: Data) -> String {
        data.withUnsafeBytes { update($0) }
        return finish()
    }
}

@Suite struct TransferProgressTests {
    @Test func rateAndETA() {
        var progress = TransferProgress(startedAt: 100, sourceTotal: 1000)
        progress.sourceRead = 250
        progress.written = 200 << 20
        #expect(progress.rate(now: 102) == Double(100 << 20))
        #expect(progress.eta(now: 102) == 6)
        #expect(progress.line(now: 102) == "written 200.0 MiB (source 25 %), 100.0 MiB/s, ETA 6 s")
        #expect(TransferProgress(startedAt: 0, sourceTotal: nil).eta(now: 5) == nil)
    }
}

@Suite struct HTTPSourceTests {
    @Test func urls() {
        #expect(HTTPLocation("http://10.0.0.1:8080/disk/a.img.zst") == HTTPLocation(host: "10.0.0.1", port: 8080, path: "/disk/a.img.zst"))
        #expect(HTTPLocation("http://server") == HTTPLocation(host: "server", port: 80, path: "/"))
        for bad in ["https://x/", "http://", "http://:80/", "http://u:p@x/", "http://x:0/", "http://x:99999/", "http://x/a b", "ftp://x/"] {
            #expect(HTTPLocation(bad) == nil, "\(bad)")
        }
    }

    @Test func responseHeads() {
        #expect(HTTPResponseHeadFields.parse("HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX: y") == HTTPResponseHeadFields(status: 200, contentLength: 42))
        #expect(HTTPResponseHeadFields.parse("HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 100-199/1000\r\nContent-Length: 100")
                == HTTPResponseHeadFields(status: 206, contentLength: 100, rangeStart: 100, total: 1000))
        #expect(HTTPResponseHeadFields.parse("SSH-2.0-OpenSSH") == nil)
        #expect(HTTPResponseHeadFields.parse("") == nil)
    }
}

extension HTTPLocation {
    init(host: String, port: UInt16, path: String) {
        self.init("http://\(host):\(port)\(path)")!
    }
}

@Suite struct CaptureImageTests {
    @Test func captureThenApplyGivesTheSameDisk() throws {
        let scratch = try Scratch()
        let content = sampleContent()
        let source = scratch.path + "/source.img"
        try content.write(to: URL(fileURLWithPath: source))
        let lines = LogLines()
        let context = StepContext(imagesDirectory: scratch.path + "/images", log: { lines.append($0) })
        let capture = ResolvedStep(pointer: 0, attempt: 1, name: "c", type: .captureImage,
                                   properties: ["sourceDisk": source, "directory": "golden-1"])
        #expect(CaptureImageDriver().run(capture, context: context) == .exited(0))
        #expect(lines.all.contains("New image distributed: golden-1"))
        let records = DiskImageCatalog.list(imagesDirectory: scratch.path + "/images")
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.name == "golden-1" && record.compression == .zstd && record.rawSize == content.count)
        #expect(record.sha256 == (try #require(SHA256Stream())).finishing(content))
        #expect(record.size < content.count)
        // Applied back from the catalog, checked against the captured digest.
        let disk = scratch.path + "/disk"
        let apply = ResolvedStep(pointer: 1, attempt: 1, name: "a", type: .applyImage, properties: ["image": "golden-1", "destination": disk])
        #expect(ApplyImageDriver().run(apply, context: context) == .exited(0))
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk)) == content)
    }

    @Test func refusesBadInputs() throws {
        let scratch = try Scratch()
        let context = StepContext(imagesDirectory: scratch.path)
        for properties in [["sourceDisk": "relative", "directory": "n"], ["sourceDisk": "/nonexistent", "directory": "n"],
                           ["sourceDisk": "/dev/null", "directory": "../x"]] {
            let step = ResolvedStep(pointer: 0, attempt: 1, name: "c", type: .captureImage, properties: properties)
            guard case .failed = CaptureImageDriver().run(step, context: context) else { Issue.record("\(properties) accepted"); continue }
        }
    }
}
