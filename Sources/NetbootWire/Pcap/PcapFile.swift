/// One packet record of a classic pcap file (libpcap `pcap-savefile(5)`, and
/// draft-ietf-opsawg-pcap §5): a timestamp, the captured bytes and the original length.
public struct PcapRecord: Hashable, Sendable {
    public var seconds: UInt32
    /// Sub-second part: microseconds, or nanoseconds in a nanosecond file.
    public var fraction: UInt32
    public var data: [UInt8]
    /// Length of the packet on the wire (≥ `data.count` when the capture was cut at the snap length).
    public var originalLength: UInt32

    public init(seconds: UInt32 = 0, fraction: UInt32 = 0, data: [UInt8], originalLength: UInt32? = nil) {
        self.seconds = seconds
        self.fraction = fraction
        self.data = data
        self.originalLength = originalLength ?? UInt32(truncatingIfNeeded: data.count)
    }
}

/// A classic pcap file (not pcapng): a 24-byte global header and records.
///
/// ``init(decoding:)`` reads both byte orders and both timestamp resolutions (magic
/// `0xA1B2C3D4` microseconds, `0xA1B23C4D` nanoseconds); ``encoded()`` writes little-endian.
/// Pure: bytes in, bytes out; the caller reads and writes the file.
public struct PcapFile: Hashable, Sendable {
    /// LINKTYPE_ETHERNET (tcpdump.org link-layer header types).
    public static let linkTypeEthernet: UInt32 = 1
    static let microsecondMagic: UInt32 = 0xA1B2_C3D4
    static let nanosecondMagic: UInt32 = 0xA1B2_3C4D

    public var linkType: UInt32
    public var snapLength: UInt32
    public var nanosecondResolution: Bool
    public var versionMajor: UInt16
    public var versionMinor: UInt16
    public var records: [PcapRecord]

    public init(linkType: UInt32 = PcapFile.linkTypeEthernet, snapLength: UInt32 = 262_144,
                nanosecondResolution: Bool = false, records: [PcapRecord] = []) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.nanosecondResolution = nanosecondResolution
        self.versionMajor = 2
        self.versionMinor = 4
        self.records = records
    }

    /// Parses a whole file. Throws `.badValue` for an unknown magic, `.truncated` for a cut
    /// header, `.overrun` for a record whose captured length runs past the end of the file.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = LittleOrBigReader(bytes: bytes, littleEndian: true)
        let magic = try reader.uint32("magic")
        switch magic {
        case PcapFile.microsecondMagic, PcapFile.nanosecondMagic:
            break
        case PcapFile.microsecondMagic.byteSwapped, PcapFile.nanosecondMagic.byteSwapped:
            reader.littleEndian = false
        default:
            throw WireError(.badValue, at: 0, "not a classic pcap file (magic 0x\(String(magic, radix: 16)))")
        }
        let nanos = magic == PcapFile.nanosecondMagic || magic == PcapFile.nanosecondMagic.byteSwapped
        let major = try reader.uint16("version major")
        let minor = try reader.uint16("version minor")
        _ = try reader.uint32("thiszone")
        _ = try reader.uint32("sigfigs")
        let snapLength = try reader.uint32("snaplen")
        let linkType = try reader.uint32("linktype")
        var records: [PcapRecord] = []
        while reader.offset < bytes.count {
            let start = reader.offset
            let seconds = try reader.uint32("record seconds")
            let fraction = try reader.uint32("record fraction")
            let captured = try reader.uint32("record captured length")
            let original = try reader.uint32("record original length")
            guard UInt64(captured) <= UInt64(bytes.count - reader.offset) else {
                throw WireError(.overrun, at: start,
                                "record captured length \(captured), \(bytes.count - reader.offset) bytes left")
            }
            let data = Array(bytes[reader.offset..<reader.offset + Int(captured)])
            reader.offset += Int(captured)
            records.append(PcapRecord(seconds: seconds, fraction: fraction, data: data, originalLength: original))
        }
        self.init(linkType: linkType, snapLength: snapLength, nanosecondResolution: nanos, records: records)
        versionMajor = major
        versionMinor = minor
    }

    /// The file's bytes, little-endian.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24 + records.reduce(0) { $0 + 16 + $1.data.count })
        func put32(_ value: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * i))) } }
        func put16(_ value: UInt16) { bytes.append(UInt8(truncatingIfNeeded: value)); bytes.append(UInt8(truncatingIfNeeded: value >> 8)) }
        put32(nanosecondResolution ? PcapFile.nanosecondMagic : PcapFile.microsecondMagic)
        put16(versionMajor)
        put16(versionMinor)
        put32(0)
        put32(0)
        put32(snapLength)
        put32(linkType)
        for record in records {
            put32(record.seconds)
            put32(record.fraction)
            put32(UInt32(truncatingIfNeeded: record.data.count))
            put32(record.originalLength)
            bytes.append(contentsOf: record.data)
        }
        return bytes
    }
}

/// Bounds-checked reads in the file's own byte order (pcap headers are in the writer's order).
private struct LittleOrBigReader {
    let bytes: [UInt8]
    var littleEndian: Bool
    var offset = 0

    init(bytes: [UInt8], littleEndian: Bool) {
        self.bytes = bytes
        self.littleEndian = littleEndian
    }

    mutating func uint32(_ context: String) throws(WireError) -> UInt32 {
        guard bytes.count - offset >= 4 else {
            throw WireError(.truncated, at: offset, "pcap \(context): need 4 bytes, \(bytes.count - offset) left")
        }
        let slice = bytes[offset..<offset + 4]
        offset += 4
        let ordered = littleEndian ? Array(slice.reversed()) : Array(slice)
        return ordered.reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint16(_ context: String) throws(WireError) -> UInt16 {
        guard bytes.count - offset >= 2 else {
            throw WireError(.truncated, at: offset, "pcap \(context): need 2 bytes, \(bytes.count - offset) left")
        }
        let (a, b) = (UInt16(bytes[offset]), UInt16(bytes[offset + 1]))
        offset += 2
        return littleEndian ? b << 8 | a : a << 8 | b
    }
}
