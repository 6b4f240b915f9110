/// One entry of the BSDP boot image list (sub-option 9): `id(4) ‖ name_len(1) ‖ name(UTF-8)`
/// (Apple BSDP 1.0.8 §3.4.10, `bsdp_image_description_t` in `bootplib/bsdp.h`).
///
/// Names are UTF-8 and counted in bytes. The encoder sends at most
/// ``BSDPBootImage/maxNameLength`` (246) bytes, cut on a Unicode scalar boundary — never in
/// the middle of a character (Apple's `bsdpd.c` cuts at the byte, which can split one).
/// The decoder accepts any name that fits its sub-option but rejects bytes that are not
/// UTF-8 with `WireError.badString`: a menu entry cannot be shown from them and the
/// encoder can never produce them (see docs/bsdp.md, "Decisions").
public struct BSDPBootImage: Hashable, Sendable, CustomStringConvertible {
    public var id: BootImageID
    public var name: String

    /// `BSDP_IMAGE_NAME_MAX` = 255 − 2 − 2 − 5 (`bootplib/bsdp.h`).
    public static let maxNameLength = 246
    /// Descriptor bytes before the name: the id and the length byte.
    public static let headerLength = 5

    public init(id: BootImageID, name: String) {
        self.id = id
        self.name = name
    }

    /// The name bytes as sent: UTF-8, cut to 246 bytes on a scalar boundary.
    public var encodedName: [UInt8] { Self.truncatedUTF8(name, maxBytes: Self.maxNameLength) }

    /// Bytes this descriptor takes in a sub-option 9.
    public var encodedLength: Int { Self.headerLength + encodedName.count }

    public func encode(into writer: inout ByteWriter) {
        let nameBytes = encodedName
        writer.writeUInt32(id.rawValue)
        writer.writeUInt8(UInt8(nameBytes.count))
        writer.writeBytes(nameBytes)
    }

    public var description: String { "\(id) \"\(name)\"" }

    /// The longest prefix of `text`'s UTF-8 that has at most `maxBytes` bytes and ends on a
    /// Unicode scalar boundary.
    public static func truncatedUTF8(_ text: String, maxBytes: Int) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count > maxBytes else { return utf8 }
        var end = max(0, maxBytes)
        // A continuation byte (10xxxxxx) at `end` means a scalar straddles the cut.
        while end > 0, utf8[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(utf8[0..<end])
    }

    /// Decodes the descriptors in `bytes[range]` (one sub-option 9 payload). A descriptor
    /// whose header or name runs past the range throws `.overrun`; a name that is not UTF-8
    /// throws `.badString`.
    static func decodeList(_ bytes: [UInt8], range: Range<Int>, context: String) throws(WireError) -> [BSDPBootImage] {
        var reader = ByteReader(bytes, range: range)
        var images: [BSDPBootImage] = []
        while !reader.isAtEnd {
            let start = reader.offset
            guard reader.remaining >= headerLength else {
                throw WireError(.overrun, at: start,
                                "\(context): image descriptor header needs 5 bytes, \(reader.remaining) left")
            }
            let id = try reader.readUInt32("\(context): image id")
            let length = Int(try reader.readUInt8("\(context): image name length"))
            guard length <= reader.remaining else {
                throw WireError(.overrun, at: start,
                                "\(context): image name of \(length) bytes overruns the list (\(reader.remaining) left)")
            }
            let nameBytes = try reader.readBytes(length, "\(context): image name")
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw WireError(.badString, at: start + headerLength,
                                "\(context): image name of image 0x\(String(id, radix: 16)) is not UTF-8")
            }
            images.append(BSDPBootImage(id: BootImageID(rawValue: id), name: name))
        }
        return images
    }
}
