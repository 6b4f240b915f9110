/// A bounds-checked, big-endian cursor over a byte buffer.
///
/// Every read checks the remaining length first and throws ``WireError`` instead of trapping,
/// so no input can make a codec read outside its buffer. A reader may be restricted to a
/// sub-range (`limit`) so that a length-prefixed container cannot be overrun by its contents.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    /// The next byte to read.
    public private(set) var offset: Int
    /// One past the last readable byte.
    public let limit: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.limit = bytes.count
    }

    /// A reader over `bytes[range]`; offsets stay those of the whole buffer.
    public init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.offset = max(0, min(range.lowerBound, bytes.count))
        self.limit = max(self.offset, min(range.upperBound, bytes.count))
    }

    public var remaining: Int { limit - offset }
    public var isAtEnd: Bool { offset >= limit }

    @inline(__always)
    private func require(_ count: Int, _ context: @autoclosure () -> String) throws(WireError) {
        guard count >= 0, count <= limit - offset else {
            throw WireError(.truncated, at: offset, "\(context()): need \(count) bytes, \(remaining) left")
        }
    }

    public mutating func readUInt8(_ context: @autoclosure () -> String = "uint8") throws(WireError) -> UInt8 {
        try require(1, context())
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16(_ context: @autoclosure () -> String = "uint16") throws(WireError) -> UInt16 {
        try require(2, context())
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt32(_ context: @autoclosure () -> String = "uint32") throws(WireError) -> UInt32 {
        try require(4, context())
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return value
    }

    public mutating func readUInt64(_ context: @autoclosure () -> String = "uint64") throws(WireError) -> UInt64 {
        try require(8, context())
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return value
    }

    /// Reads `count` bytes as a new array.
    public mutating func readBytes(_ count: Int, _ context: @autoclosure () -> String = "bytes") throws(WireError) -> [UInt8] {
        try require(count, context())
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Returns the range of the next `count` bytes and skips them (no copy).
    public mutating func readRange(_ count: Int, _ context: @autoclosure () -> String = "bytes") throws(WireError) -> Range<Int> {
        try require(count, context())
        defer { offset += count }
        return offset..<offset + count
    }

    public mutating func skip(_ count: Int, _ context: @autoclosure () -> String = "skip") throws(WireError) {
        try require(count, context())
        offset += count
    }

    /// Reads bytes up to a NUL terminator and consumes the terminator. Throws `.badString`
    /// when the limit comes before a NUL.
    public mutating func readNULTerminated(_ context: @autoclosure () -> String = "string") throws(WireError) -> [UInt8] {
        var end = offset
        while end < limit, bytes[end] != 0 { end += 1 }
        guard end < limit else {
            throw WireError(.badString, at: offset, "\(context()): no NUL terminator")
        }
        defer { offset = end + 1 }
        return Array(bytes[offset..<end])
    }

    /// All bytes left up to the limit.
    public mutating func readRemaining() -> [UInt8] {
        defer { offset = limit }
        return Array(bytes[offset..<limit])
    }

    /// The byte at `offset + ahead` without consuming it, or nil past the limit.
    public func peek(ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        guard ahead >= 0, index < limit else { return nil }
        return bytes[index]
    }
}
