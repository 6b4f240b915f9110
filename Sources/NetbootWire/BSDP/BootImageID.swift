/// The kind of a NetBoot image: bits 30…24 of a ``BootImageID`` (Apple BSDP 1.0.8 §3.4.2,
/// `bootplib/bsdp.h`). 0–3 are defined, 4–127 reserved; values above 127 do not exist.
public struct BootImageKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    /// Nil for values above 127 (the kind field has seven bits).
    public init?(rawValue: UInt8) {
        guard rawValue <= 0x7F else { return nil }
        self.rawValue = rawValue
    }

    private init(masked: UInt8) { rawValue = masked & 0x7F }

    /// Mac OS 9 ("Classic").
    public static let macOS9 = BootImageKind(masked: 0)
    /// Mac OS X.
    public static let macOSX = BootImageKind(masked: 1)
    /// Mac OS X Server.
    public static let macOSXServer = BootImageKind(masked: 2)
    /// Hardware diagnostics (Apple Hardware Test); `FilterOnly` by default.
    public static let diagnostics = BootImageKind(masked: 3)

    /// The kind held in bits 6…0 of `byte`.
    static func from(highByte byte: UInt8) -> BootImageKind { BootImageKind(masked: byte) }

    public var description: String {
        switch rawValue {
        case 0: "Mac OS 9"
        case 1: "Mac OS X"
        case 2: "Mac OS X Server"
        case 3: "Hardware Diagnostics"
        default: "reserved kind \(rawValue)"
        }
    }
}

/// A BSDP boot image identifier: 32 bits, big-endian on the wire (Apple BSDP 1.0.8 §3.4.2,
/// reference §1.5).
///
/// ```
/// bit 31      install image (0x8000 of the 16-bit attributes)
/// bits 30…24  kind (BootImageKind, 0–127)
/// bits 23…16  reserved (low byte of the attributes; kept as received, sent as 0)
/// bits 15…0   index: 0 = null/invalid, 1–4095 server-local, 4096–65535 global
/// ```
/// The upper 16 bits are the image *attributes* that the client's attribute filter
/// (sub-option 11) is compared with. Uniqueness is on the whole 32-bit value, not the index.
/// Any 32-bit value decodes (so nothing received is lost); ``isValid`` says whether the index
/// is usable, and reply encoders refuse invalid ids.
public struct BootImageID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// An id with the reserved byte zero.
    public init(isInstall: Bool, kind: BootImageKind, index: UInt16) {
        rawValue = (isInstall ? 0x8000_0000 : 0) | UInt32(kind.rawValue) << 24 | UInt32(index)
    }

    /// An id from its 16-bit attributes and index.
    public init(attributes: UInt16, index: UInt16) {
        rawValue = UInt32(attributes) << 16 | UInt32(index)
    }

    /// From exactly four network-order bytes; nil otherwise.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 4 else { return nil }
        var value: UInt32 = 0
        for byte in bytes { value = value << 8 | UInt32(byte) }
        rawValue = value
    }

    /// The 16-bit attributes for an install flag and kind (reserved byte zero): the value an
    /// attribute filter entry names, e.g. `0x0300` for non-install diagnostics.
    public static func attributes(isInstall: Bool, kind: BootImageKind) -> UInt16 {
        (isInstall ? 0x8000 : 0) | UInt16(kind.rawValue) << 8
    }

    public var isInstall: Bool { rawValue & 0x8000_0000 != 0 }
    public var kind: BootImageKind { .from(highByte: UInt8(truncatingIfNeeded: rawValue >> 24)) }
    /// The upper 16 bits (install, kind, reserved) compared with attribute filter entries.
    public var attributes: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    /// The reserved byte (bits 23…16); "must not be interpreted by the client".
    public var reserved: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 16) }
    public var index: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// False for index 0 (the null id a server never sends).
    public var isValid: Bool { index != 0 }
    /// Index 1–4095: unique to this server, shown as its own menu item.
    public var isLocal: Bool { (1...0x0FFF).contains(index) }
    /// Index 4096–65535: the same image on several servers, shown once.
    public var isGlobal: Bool { index >= 0x1000 }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(truncatingIfNeeded: rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
         UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue)]
    }

    public static func < (lhs: BootImageID, rhs: BootImageID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        let hex = String(rawValue, radix: 16)
        let padded = String(repeating: "0", count: max(0, 8 - hex.count)) + hex
        return "0x\(padded) (\(isInstall ? "install, " : "")\(kind), index \(index))"
    }
}
