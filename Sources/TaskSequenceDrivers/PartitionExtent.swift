/// Where a disk's partitions end, read from its partition table: the extent a Capture Image step
/// with `extent: partitions` reads instead of the whole device (docs/task-sequences.md
/// "Capture image"). Pure: the disk's first sectors in, the byte offset just past the last
/// partition out. MBR (primary entries, the extended partition's own extent covering its logical
/// ones) and GPT (UEFI 2.10 §5.3: the header at LBA 1, its entry array) with 512-byte sectors.
/// A GPT's backup header and entries at the end of the disk lie past the last partition and are
/// not part of the extent: an image captured this way carries the primary table only.
public enum PartitionExtent {
    /// The table the extent was read from.
    public enum Table: String, Equatable, Sendable {
        case mbr, gpt
    }

    /// Why no extent could be found.
    public struct Failure: Error, Equatable, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static let sectorSize = 512
    /// The bytes `end(of:)` needs to see a GPT whose entries start at LBA 2 (the usual 128
    /// entries of 128 bytes): LBA 0 to 33.
    public static let headBytes = 34 * sectorSize

    /// The byte offset just past the last partition of the disk whose first bytes are `head`
    /// (at least the first sector; for a GPT, through the end of its entry array).
    public static func end(of head: [UInt8]) throws(Failure) -> (table: Table, end: Int) {
        guard head.count >= sectorSize, head[510] == 0x55, head[511] == 0xAA else {
            throw Failure(description: "no partition table: the first sector has no MBR signature (55 AA)")
        }
        var entries: [(type: UInt8, first: Int, count: Int)] = []
        for index in 0..<4 {
            let base = 446 + index * 16
            entries.append((head[base + 4], le(head, base + 8, 4), le(head, base + 12, 4)))
        }
        if entries.contains(where: { $0.type == 0xEE }) {
            return (.gpt, try gptEnd(head))
        }
        let used = entries.filter { $0.type != 0 && $0.count > 0 }
        guard let last = used.map({ $0.first + $0.count }).max() else {
            throw Failure(description: "the MBR lists no partition")
        }
        return (.mbr, last * sectorSize)
    }

    private static func gptEnd(_ head: [UInt8]) throws(Failure) -> Int {
        let header = sectorSize
        guard head.count >= header + 92, head[header..<header + 8].elementsEqual(Array("EFI PART".utf8)) else {
            throw Failure(description: "a protective MBR without a GPT header at LBA 1")
        }
        let entriesLBA = le(head, header + 72, 8)
        let count = le(head, header + 80, 4)
        let size = le(head, header + 84, 4)
        guard size >= 128, size <= 4096, count <= 16384, entriesLBA >= 2, entriesLBA < Int(Int32.max) else {
            throw Failure(description: "the GPT header's entry array is not plausible (LBA \(entriesLBA), \(count) × \(size) bytes)")
        }
        let start = entriesLBA * sectorSize
        guard start + count * size <= head.count else {
            throw Failure(description: "the GPT's entry array (LBA \(entriesLBA), \(count) × \(size) bytes) lies past the \(head.count) bytes read")
        }
        var last = 0
        for index in 0..<count {
            let base = start + index * size
            guard head[base..<base + 16].contains(where: { $0 != 0 }) else { continue }  // unused entry
            last = max(last, le(head, base + 40, 8) + 1)
        }
        guard last > 0 else { throw Failure(description: "the GPT lists no partition") }
        return last * sectorSize
    }

    /// A little-endian unsigned integer of `width` bytes at `offset` (the caller checked the range).
    private static func le(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> Int {
        var value: UInt64 = 0
        for index in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value > UInt64(Int.max / 4096) ? Int.max / 4096 : Int(value)
    }
}
