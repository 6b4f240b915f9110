/// A big-endian byte buffer builder, the encoding twin of ``ByteReader``.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 576) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func writeUInt8(_ value: UInt8) { bytes.append(value) }

    public mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    public mutating func writeUInt32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    public mutating func writeUInt64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    public mutating func writeBytes<S: Sequence>(_ data: S) where S.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// Writes `count` zero bytes (padding, fixed-width fields).
    public mutating func writeZeros(_ count: Int) {
        guard count > 0 else { return }
        bytes.append(contentsOf: repeatElement(0, count: count))
    }

    /// Writes `data` into a fixed-width field of `width` bytes: cut to the width, then
    /// zero-filled (DHCP `sname` and `file`, `chaddr`).
    public mutating func writeFixed(_ data: [UInt8], width: Int) {
        let used = min(data.count, width)
        bytes.append(contentsOf: data[0..<used])
        writeZeros(width - used)
    }

    /// Overwrites two bytes at `offset` (length fields and checksums written after the body).
    public mutating func setUInt16(_ value: UInt16, at offset: Int) {
        guard offset >= 0, offset + 1 < bytes.count else { return }
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
}
