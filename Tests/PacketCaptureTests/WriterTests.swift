import Foundation
import NetbootWire
import Testing
@testable import PacketCapture

@Suite struct WriterTests {
    static func frames(_ count: Int) throws -> [CapturedFrame] {
        try (0..<count).map { index in
            try udpFrame(from: (clientMAC, clientIP, 2000), to: (serverMAC, serverIP, 69),
                         TFTPPacket.readRequest(TFTPRequest(filename: "file-\(index)")).encoded(), micro: Int32(index))
        }
    }

    static func read(_ path: String) throws -> [CapturedFrame] {
        let handle = try PcapHandle.openOffline(path: path)
        var out: [CapturedFrame] = []
        while case .frame(let frame) = try handle.next() { out.append(frame) }
        return out
    }

    @Test func oneFileRoundTripsThroughLibpcap() throws {
        let path = try temporaryDirectory() + "/cap.pcap"
        let frames = try Self.frames(5)
        let writer = try PcapDumpWriter(path: path, dlt: 1)
        for frame in frames { try writer.write(frame) }
        try writer.close()
        #expect(writer.files == [path])
        #expect(try Self.read(path) == frames)
        // Also what NetbootWire's independent reader sees.
        let parsed = try PcapFile(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(parsed.linkType == 1)
        #expect(parsed.records.map(\.data) == frames.map(\.bytes))
    }

    @Test func rotationBySizeKeepsTheNewestFiles() throws {
        let directory = try temporaryDirectory()
        let frames = try Self.frames(40)
        let writer = try PcapDumpWriter(path: directory + "/cap.pcap", dlt: 1, rotateSize: 1024, rotateCount: 3)
        for frame in frames { try writer.write(frame) }
        try writer.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names.count == 3)
        #expect(writer.files.count == 3)
        #expect(writer.files.last.map { $0.hasSuffix(".pcap") } == true)
        var kept: [CapturedFrame] = []
        for file in writer.files {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
            let contents = try Self.read(file)
            #expect(!contents.isEmpty)
            #expect(size < 1024 + 200)
            kept += contents
        }
        // The newest files hold the last packets, in order, with none missing between them.
        #expect(kept == Array(frames.suffix(kept.count)))
        #expect(PcapDumpWriter.rotatedName("/a/b.c/cap.pcap", index: 2) == "/a/b.c/cap.2.pcap")
        #expect(PcapDumpWriter.rotatedName("/a/b.c/cap", index: 0) == "/a/b.c/cap.0")
    }

    /// /dev/full fails every write with ENOSPC, like a full disk.
    @Test func diskFullStopsWithACleanError() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let writer = try PcapDumpWriter(path: "/dev/full", dlt: 1)
        #expect(throws: CaptureError.diskFull(path: "/dev/full")) {
            try writer.write(try Self.frames(1)[0])
        }
        #expect(throws: CaptureError.writeFailed(path: "/dev/full", reason: "writer is closed")) {
            try writer.write(try Self.frames(1)[0])
        }
    }

    @Test func unwritableDirectoryIsReported() {
        #expect(throws: (any Error).self) {
            _ = try PcapDumpWriter(path: "/nonexistent-dir/cap.pcap", dlt: 1)
        }
    }
}
