/// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum
/// of the data taken as big-endian 16-bit words (an odd last byte is padded with zero).
public enum InternetChecksum {
    /// The one's complement sum of `bytes`, folded to 16 bits, added to `initial` (not complemented).
    public static func sum<C: Collection>(_ bytes: C, initial: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        var total = UInt64(initial)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let high = UInt64(bytes[index])
            index = bytes.index(after: index)
            var low: UInt64 = 0
            if index != bytes.endIndex {
                low = UInt64(bytes[index])
                index = bytes.index(after: index)
            }
            total += high << 8 | low
        }
        while total > 0xFFFF { total = (total & 0xFFFF) + (total >> 16) }
        return UInt32(total)
    }

    /// The checksum to put in a header whose checksum field is zero while summing.
    public static func checksum<C: Collection>(_ bytes: C, initial: UInt32 = 0) -> UInt16 where C.Element == UInt8 {
        ~UInt16(truncatingIfNeeded: sum(bytes, initial: initial))
    }
}
