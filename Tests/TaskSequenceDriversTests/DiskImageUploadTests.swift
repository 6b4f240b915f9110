import Foundation
import Synchronization
import Testing
@testable import TaskSequenceDrivers

/// Uploads into the disk-image catalog (``DiskImageUpload``): what the bridge's
/// `PUT /v1/runs/{id}/images/{name}` and `netboot images add` both go through.
@Suite struct DiskImageUploadTests {
    func zstd(_ content: Data) throws -> Data? { try tool("zstd", ["-q", "-c"], input: content) }

    func upload(_ data: Data, name: String = "cap", into images: String, chunk: Int = 7000, declared: String? = nil,
                requireChecksum: Bool = true) throws -> DiskImage {
        let upload = try DiskImageUpload(name: name, imagesDirectory: images, replace: false)
        var offset = 0
        while offset < data.count {
            let end = min(data.count, offset + chunk)
            try data[offset..<end].withUnsafeBytes { try upload.append($0) }
            offset = end
        }
        return try upload.commit(declaredSHA256: declared, requireChecksum: requireChecksum)
    }

    func files(_ images: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: images + "/disk")) ?? []).sorted()
    }

    @Test func digestFrameRoundTrips() throws {
        let digest = String(repeating: "0123456789abcdef", count: 4)
        let frame = try #require(CaptureDigestFrame.encode(sha256: digest))
        #expect(frame.count == CaptureDigestFrame.length)
        #expect(frame.prefix(8) == [0x5E, 0x2A, 0x4D, 0x18, 40, 0, 0, 0])
        #expect(CaptureDigestFrame.parse([1, 2, 3] + frame) == digest)
        #expect(CaptureDigestFrame.parse(Array(frame.dropFirst())) == nil)
        var damaged = frame
        damaged[9] = 0
        #expect(CaptureDigestFrame.parse(damaged) == nil)
        #expect(CaptureDigestFrame.encode(sha256: "abc") == nil)
        #expect(CaptureDigestFrame.encode(sha256: String(repeating: "g", count: 64)) == nil)
    }

    @Test func aStreamEndingInItsDigestFrameIsRegisteredAndStillDecodes() throws {
        let scratch = try Scratch()
        let content = sampleContent()
        guard let compressed = try zstd(content) else { return }
        let sha = try #require(SHA256Stream()).finishing(content)
        let frame = Data(try #require(CaptureDigestFrame.encode(sha256: sha)))
        let image = try upload(compressed + frame, into: scratch.path)
        #expect(image.sha256 == sha && image.rawSize == content.count && image.compression == .zstd)
        #expect(image.size == compressed.count + frame.count)
        #expect(files(scratch.path) == ["cap.img.zst", "cap.img.zst.sha256", "cap.json"])
        #expect(DiskImageCatalog.list(imagesDirectory: scratch.path).map(\.name) == ["cap"])
        // The stored file, frame and all, decodes to the content (zstd skips the frame).
        let stored = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/disk/cap.img.zst"))
        #expect(try decodeAll(.zstd, stored, chunk: 4096) == content)
    }

    @Test func aWrongOrMissingDigestIsRefusedAndLeavesNothing() throws {
        let scratch = try Scratch()
        let content = sampleContent()
        guard let compressed = try zstd(content) else { return }
        let sha = try #require(SHA256Stream()).finishing(content)
        let wrong = String(repeating: "ab", count: 32)
        #expect(throws: DiskImageUpload.Refusal.checksumMismatch(declared: wrong, received: sha)) {
            try upload(compressed + Data(CaptureDigestFrame.encode(sha256: wrong)!), into: scratch.path)
        }
        #expect(throws: DiskImageUpload.Refusal.checksumMismatch(declared: wrong, received: sha)) {
            try upload(compressed, into: scratch.path, declared: wrong)
        }
        // The header's digest right, the frame's wrong: still refused.
        #expect(throws: DiskImageUpload.Refusal.checksumMismatch(declared: wrong, received: sha)) {
            try upload(compressed + Data(CaptureDigestFrame.encode(sha256: wrong)!), into: scratch.path, declared: sha)
        }
        #expect(throws: DiskImageUpload.Refusal.noChecksum) { try upload(compressed, into: scratch.path) }
        #expect(files(scratch.path) == [])
        // Declared in a header instead: registered.
        #expect(try upload(compressed, into: scratch.path, declared: sha.uppercased()).sha256 == sha)
    }

    @Test func aCutOrCorruptStreamIsRefusedAndLeavesNothing() throws {
        let scratch = try Scratch()
        let content = sampleContent()
        guard let compressed = try zstd(content) else { return }
        let sha = try #require(SHA256Stream()).finishing(content)
        #expect(throws: DiskImageUpload.Refusal.self) { try upload(compressed.prefix(compressed.count - 100), into: scratch.path, declared: sha) }
        var corrupt = compressed
        corrupt[corrupt.count / 2] ^= 0xFF
        corrupt[corrupt.count / 2 + 1] ^= 0xFF
        #expect(throws: DiskImageUpload.Refusal.self) { try upload(corrupt, into: scratch.path, declared: sha) }
        #expect(files(scratch.path) == [])
    }

    @Test func anAbortedOrDroppedUploadLeavesNothing() throws {
        let scratch = try Scratch()
        let content = sampleContent()
        do {
            let upload = try DiskImageUpload(name: "cap", imagesDirectory: scratch.path, replace: false)
            try content.prefix(5000).withUnsafeBytes { try upload.append($0) }
            #expect(files(scratch.path).count == 1 && files(scratch.path)[0].hasPrefix(".cap.upload-"))
            upload.abort()
            #expect(files(scratch.path) == [])
        }
        do {
            let upload = try DiskImageUpload(name: "cap", imagesDirectory: scratch.path, replace: false)
            try content.prefix(5000).withUnsafeBytes { try upload.append($0) }
        }
        #expect(files(scratch.path) == [])
    }

    @Test func anUploadOfADeadProcessIsRemovedAndTakenNamesRefused() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/disk", withIntermediateDirectories: true)
        // pid 2^22+1 is above Linux's pid_max: never a live process.
        #expect(FileManager.default.createFile(atPath: scratch.path + "/disk/.old.upload-4194305-17", contents: Data([1, 2])))
        let sha = try #require(SHA256Stream()).finishing(Data("raw".utf8))
        _ = try upload(Data("raw".utf8), into: scratch.path, declared: sha)
        #expect(files(scratch.path) == ["cap.img", "cap.img.sha256", "cap.json"])
        #expect(throws: DiskImageUpload.Refusal.exists("a disk image named 'cap' exists")) {
            try upload(Data("raw".utf8), into: scratch.path, declared: sha)
        }
        #expect(throws: DiskImageUpload.Refusal.self) { try DiskImageUpload(name: "../x", imagesDirectory: scratch.path, replace: false) }
    }

    @Test func captureSendsTheStreamAndItsDigestToTheUploader() throws {
        let scratch = try Scratch()
        let content = sampleContent()
        let source = scratch.path + "/source.img"
        try content.write(to: URL(fileURLWithPath: source))
        let receiver = CatalogReceiver(images: scratch.path + "/appliance")
        let lines = LogLines()
        let context = StepContext(log: { lines.append($0) }, imageUploader: receiver)
        let capture = ResolvedStep(pointer: 0, attempt: 1, name: "c", type: .captureImage,
                                   properties: ["sourceDisk": source, "directory": "golden-1"])
        #expect(CaptureImageDriver().run(capture, context: context) == .exited(0))
        #expect(lines.all.contains("New image distributed: golden-1"))
        let record = try #require(DiskImageCatalog.list(imagesDirectory: scratch.path + "/appliance").first)
        let expected = try #require(SHA256Stream()).finishing(content)
        #expect(record.name == "golden-1" && record.sha256 == expected)
        #expect(record.rawSize == content.count)
        // Refused by the appliance: the step fails and says why.
        guard case .failed(let message) = CaptureImageDriver().run(capture, context: context) else {
            Issue.record("a refused upload succeeded")
            return
        }
        #expect(message.contains("exists"))
    }
}

/// An ``ImageUploader`` that registers what it gets straight into a catalog, as the bridge does.
private final class CatalogReceiver: ImageUploader, @unchecked Sendable {
    let images: String
    init(images: String) { self.images = images }
    var destination: String { images }

    func upload(name: String, body: (_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> String {
        let upload = try DiskImageUpload(name: name, imagesDirectory: images, replace: false)
        try body { try upload.append($0) }
        let image = try upload.commit(requireChecksum: true)
        return "stored as \(image.file)"
    }
}
