import Foundation
import Testing
import TaskSequenceCore
@testable import TaskSequenceDrivers

/// `PartitionExtent` (MBR and GPT) and the Capture Image step's `extent: partitions`.
@Suite struct PartitionExtentTests {
    /// A disk head with an MBR listing `partitions` as (type, first LBA, sector count).
    static func mbr(_ partitions: [(UInt8, UInt32, UInt32)], size: Int = 512) -> [UInt8] {
        var head = [UInt8](repeating: 0, count: size)
        for (index, partition) in partitions.enumerated() {
            let base = 446 + index * 16
            head[base + 4] = partition.0
            put(&head, base + 8, UInt64(partition.1), 4)
            put(&head, base + 12, UInt64(partition.2), 4)
        }
        head[510] = 0x55
        head[511] = 0xAA
        return head
    }

    /// A protective MBR, a GPT header at LBA 1 and its entries at LBA 2 (`count` × 128 bytes),
    /// the partitions given as (first LBA, last LBA).
    static func gpt(_ partitions: [(UInt64, UInt64)], count: UInt32 = 128) -> [UInt8] {
        var head = mbr([(0xEE, 1, 0xFFFF_FFFF)], size: PartitionExtent.headBytes)
        head.replaceSubrange(512..<520, with: Array("EFI PART".utf8))
        put(&head, 512 + 72, 2, 8)
        put(&head, 512 + 80, UInt64(count), 4)
        put(&head, 512 + 84, 128, 4)
        for (index, partition) in partitions.enumerated() {
            let base = 1024 + index * 128
            head[base] = 0xAF  // a type GUID that is not zero
            put(&head, base + 32, partition.0, 8)
            put(&head, base + 40, partition.1, 8)
        }
        return head
    }

    static func put(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt64, _ width: Int) {
        for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }

    @Test func mbrEndsAtItsLastPartitionWhateverTheirOrder() throws {
        // The lab image's layout: a 16 MiB ESP at 1 MiB, a 160 MiB root after it, listed out of order.
        let head = Self.mbr([(0x83, 34816, 327680), (0xEF, 2048, 32768)])
        let found = try PartitionExtent.end(of: head)
        #expect(found.table == .mbr && found.end == (34816 + 327680) * 512)
        // An extended partition's extent covers its logical partitions.
        #expect(try PartitionExtent.end(of: Self.mbr([(0x83, 2048, 2048), (0x05, 4096, 8192)])).end == 12288 * 512)
    }

    @Test func gptEndsAtItsLastPartitionsLastLBA() throws {
        let found = try PartitionExtent.end(of: Self.gpt([(2048, 34815), (34816, 362495)]))
        #expect(found.table == .gpt && found.end == 362496 * 512)
    }

    @Test func refusesWhatIsNotAPartitionTable() {
        let cases: [[UInt8]] = [
            [],
            [UInt8](repeating: 0, count: 512),  // no 55 AA
            Self.mbr([]),  // signature, no partition
            Array(Self.gpt([(2048, 4095)]).prefix(1024)),  // the entries were not read
            Self.gpt([]),  // a GPT without partitions
            { var head = Self.gpt([(2048, 4095)]); head[512] = 0; return head }(),  // no "EFI PART"
            { var head = Self.gpt([(2048, 4095)]); Self.put(&head, 512 + 84, 8, 4); return head }(),  // entry size 8
        ]
        for head in cases {
            #expect(throws: PartitionExtent.Failure.self) { try PartitionExtent.end(of: head) }
        }
    }

    @Test func captureWithExtentPartitionsStopsAtTheLastPartition() throws {
        let scratch = try Scratch()
        // 64 KiB of partitioned disk (MBR, one partition LBA 1-127), then 1 MiB that is not in any partition.
        var content = Data(Self.mbr([(0x83, 1, 127)]))
        content.append(Data((512..<(64 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 13) }))
        content.append(Data(repeating: 0x5A, count: 1 << 20))
        let source = scratch.path + "/source.img"
        try content.write(to: URL(fileURLWithPath: source))
        let lines = LogLines()
        let context = StepContext(imagesDirectory: scratch.path + "/images", log: { lines.append($0) })
        let capture = ResolvedStep(pointer: 0, attempt: 1, name: "c", type: .captureImage,
                                   properties: ["sourceDisk": source, "directory": "parts", "extent": "partitions"])
        #expect(CaptureImageDriver().run(capture, context: context) == .exited(0))
        let record = try #require(DiskImageCatalog.list(imagesDirectory: scratch.path + "/images").first)
        let expected = content.prefix(64 << 10)
        #expect(record.rawSize == 64 << 10)
        #expect(record.sha256 == (try #require(SHA256Stream())).finishing(expected))
        #expect(lines.all.contains { $0.contains("up to the end of its last partition (MBR): 65536 bytes") })
        // Applied back: the partitioned part, nothing after it.
        let disk = scratch.path + "/disk"
        let apply = ResolvedStep(pointer: 1, attempt: 1, name: "a", type: .applyImage, properties: ["image": "parts", "destination": disk])
        #expect(ApplyImageDriver().run(apply, context: context) == .exited(0))
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk)) == expected)
    }

    @Test func captureRefusesAnUnknownExtentAndADiskWithoutATable() throws {
        let scratch = try Scratch()
        let source = scratch.path + "/blank.img"
        try Data(count: 4096).write(to: URL(fileURLWithPath: source))
        let context = StepContext(imagesDirectory: scratch.path + "/images")
        for (extent, reason) in [("partitions", "no partition table"), ("sectors", "neither 'disk' nor 'partitions'")] {
            let step = ResolvedStep(pointer: 0, attempt: 1, name: "c", type: .captureImage,
                                    properties: ["sourceDisk": source, "directory": "blank", "extent": extent])
            guard case .failed(let message) = CaptureImageDriver().run(step, context: context) else {
                Issue.record("extent \(extent) accepted")
                continue
            }
            #expect(message.contains(reason), "\(message)")
        }
        #expect(DiskImageCatalog.list(imagesDirectory: scratch.path + "/images").isEmpty)
    }
}
