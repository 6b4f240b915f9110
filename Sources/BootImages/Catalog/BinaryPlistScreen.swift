/// Refuses binary plists (`bplist00`, or any `bplist` header CoreFoundation accepts) that swift-corelibs-foundation cannot bridge without
/// trapping: it crashes (null metadata in `swift_dynamicCast`, found by `Fuzz/nbimageinfo`)
/// bridging a set object (marker `0xC_`) whose elements are not `AnyHashable`, and
/// dictionary keys take the same path. NBImageInfo.plist holds neither sets nor non-string
/// keys, so such a file is malformed for us before Foundation sees it.
///
/// Only the trailer, offset table and markers are read; a file whose structure is broken in any
/// other way is left to Foundation, which rejects it with an error.
enum BinaryPlistScreen {
    static func problem(_ bytes: [UInt8]) -> String? {
        let count = bytes.count
        // Any "bplist" header: CoreFoundation reads the same format whatever the two version digits say.
        guard count >= 8 + 32, bytes.starts(with: Array("bplist".utf8)) else { return nil }
        let trailer = count - 32
        let offsetSize = Int(bytes[trailer + 6])
        let refSize = Int(bytes[trailer + 7])
        guard (1...8).contains(offsetSize), (1...8).contains(refSize),
              let objects = integer(bytes, trailer + 8, 8), let table = integer(bytes, trailer + 24, 8),
              objects <= count, table <= trailer, objects <= (trailer - table) / offsetSize else { return nil }
        func marker(_ object: Int) -> (offset: Int, byte: UInt8)? {
            guard object < objects, let offset = integer(bytes, table + object * offsetSize, offsetSize),
                  offset < trailer else { return nil }
            return (offset, bytes[offset])
        }
        for object in 0..<objects {
            guard let (offset, byte) = marker(object) else { return nil }
            switch byte >> 4 {
            case 0xC:
                return "binary plist holds a set (object \(object))"
            case 0xD:
                var length = Int(byte & 0x0F)
                var keys = offset + 1
                if length == 0x0F {
                    // The count follows as an integer object: marker 0x1n, then 2^n bytes.
                    guard keys < trailer, bytes[keys] >> 4 == 0x1, bytes[keys] & 0x0F <= 3 else { return nil }
                    let size = 1 << Int(bytes[keys] & 0x0F)
                    guard let value = integer(bytes, keys + 1, size) else { return nil }
                    length = value
                    keys += 1 + size
                }
                guard length <= (trailer - min(keys, trailer)) / refSize else { return nil }
                for key in 0..<length {
                    guard let ref = integer(bytes, keys + key * refSize, refSize),
                          let (_, keyMarker) = marker(ref) else { return nil }
                    // ASCII (0x5_), UTF-16 (0x6_) or UTF-8 (0x7_) strings only.
                    guard (0x5...0x7).contains(keyMarker >> 4) else {
                        return "binary plist dictionary has a key that is not a string (object \(object))"
                    }
                }
            default:
                continue
            }
        }
        return nil
    }

    /// A big-endian unsigned integer of `size` bytes at `offset`; nil past the end or above `Int.max`.
    private static func integer(_ bytes: [UInt8], _ offset: Int, _ size: Int) -> Int? {
        guard offset >= 0, size <= bytes.count, offset <= bytes.count - size else { return nil }
        var value: UInt64 = 0
        for byte in bytes[offset..<offset + size] { value = value << 8 | UInt64(byte) }
        return value <= UInt64(Int.max) ? Int(value) : nil
    }
}
