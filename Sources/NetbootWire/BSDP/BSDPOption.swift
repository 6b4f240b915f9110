/// BSDP message type, sub-option 1 (Apple BSDP 1.0.8 §3.4.3).
public enum BSDPMessageType: UInt8, Hashable, Sendable, CustomStringConvertible {
    case list = 1
    case select = 2
    case failed = 3

    public var description: String {
        switch self {
        case .list: "LIST"
        case .select: "SELECT"
        case .failed: "FAILED"
        }
    }
}

/// BSDP protocol version, sub-option 2 (Apple BSDP 1.0.8 §3.4.4): `0x0101` is 1.1 (current),
/// `0x0100` is 1.0 (no image list), `0x0000` the old NetBoot. Any value decodes; the
/// responder decides which it serves.
public struct BSDPVersion: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let v1_1 = BSDPVersion(rawValue: 0x0101)
    public static let v1_0 = BSDPVersion(rawValue: 0x0100)
    public static let v0_0 = BSDPVersion(rawValue: 0x0000)

    public var description: String { "\(rawValue >> 8).\(rawValue & 0xFF)" }
}

/// The BSDP sub-option codes inside DHCP option 43 (`bsdptag_t` in `bootplib/bsdp.h`).
public enum BSDPOptionCode {
    public static let pad: UInt8 = 0
    public static let messageType: UInt8 = 1
    public static let version: UInt8 = 2
    public static let serverIdentifier: UInt8 = 3
    public static let serverPriority: UInt8 = 4
    public static let replyPort: UInt8 = 5
    public static let bootImageListPath: UInt8 = 6
    public static let defaultBootImage: UInt8 = 7
    public static let selectedBootImage: UInt8 = 8
    public static let bootImageList: UInt8 = 9
    public static let netBoot10Firmware: UInt8 = 10
    public static let attributesFilterList: UInt8 = 11
    public static let maxMessageSize: UInt8 = 12
    public static let shadowMountPath: UInt8 = 128
    public static let shadowFilePath: UInt8 = 129
    public static let machineName: UInt8 = 130
    public static let end: UInt8 = 255

    /// The spec's name for a code, for error messages and decode output.
    public static func name(_ code: UInt8) -> String {
        switch code {
        case 1: "message type"
        case 2: "version"
        case 3: "server identifier"
        case 4: "server priority"
        case 5: "reply port"
        case 6: "boot image list path"
        case 7: "default boot image"
        case 8: "selected boot image"
        case 9: "boot image list"
        case 10: "netboot 1.0 firmware"
        case 11: "image attributes filter list"
        case 12: "maximum message size"
        case 128: "shadow mount path"
        case 129: "shadow file path"
        case 130: "machine name"
        default: "unknown sub-option \(code)"
        }
    }
}

/// One BSDP sub-option of DHCP option 43, typed (Apple BSDP 1.0.8 §3.4, reference §1.4).
///
/// Fixed lengths are enforced both ways: 1 → 1 byte, 2/4/5/12 → 2, 3/7/8 → 4, 10 → 0,
/// 11 → 2·N with N ≥ 1. Strings (6, 128, 129, 130) are UTF-8 of any length that fits.
/// Codes this codec does not know are kept byte for byte in ``unknown(code:data:)``.
public enum BSDPOption: Hashable, Sendable {
    case messageType(BSDPMessageType)
    case version(BSDPVersion)
    /// The DHCP server identifier (option 54) of the chosen ACK[LIST], echoed in SELECT.
    case serverIdentifier(IPv4Address)
    /// 0 lowest … 65535 highest.
    case serverPriority(UInt16)
    /// Reply UDP port instead of 68; a server only honours ports below 1024.
    case replyPort(UInt16)
    /// "Not used" (spec); kept for completeness.
    case bootImageListPath(String)
    case defaultBootImage(BootImageID)
    case selectedBootImage(BootImageID)
    /// All descriptors; on the wire it may be split over several sub-options 9.
    case bootImageList([BSDPBootImage])
    /// A non-firmware client on NetBoot 1.0 hardware (length 0).
    case netBoot10Firmware
    /// 16-bit attributes the client accepts (N ≥ 1).
    case attributesFilterList([UInt16])
    case maxMessageSize(UInt16)
    case shadowMountPath(String)
    case shadowFilePath(String)
    case machineName(String)
    case unknown(code: UInt8, data: [UInt8])

    public var code: UInt8 {
        switch self {
        case .messageType: BSDPOptionCode.messageType
        case .version: BSDPOptionCode.version
        case .serverIdentifier: BSDPOptionCode.serverIdentifier
        case .serverPriority: BSDPOptionCode.serverPriority
        case .replyPort: BSDPOptionCode.replyPort
        case .bootImageListPath: BSDPOptionCode.bootImageListPath
        case .defaultBootImage: BSDPOptionCode.defaultBootImage
        case .selectedBootImage: BSDPOptionCode.selectedBootImage
        case .bootImageList: BSDPOptionCode.bootImageList
        case .netBoot10Firmware: BSDPOptionCode.netBoot10Firmware
        case .attributesFilterList: BSDPOptionCode.attributesFilterList
        case .maxMessageSize: BSDPOptionCode.maxMessageSize
        case .shadowMountPath: BSDPOptionCode.shadowMountPath
        case .shadowFilePath: BSDPOptionCode.shadowFilePath
        case .machineName: BSDPOptionCode.machineName
        case .unknown(let code, _): code
        }
    }

    /// The payload bytes (without code and length). For ``bootImageList(_:)`` this is the
    /// whole list; the packer splits it at descriptor boundaries.
    public var payload: [UInt8] {
        var writer = ByteWriter(capacity: 16)
        switch self {
        case .messageType(let type): writer.writeUInt8(type.rawValue)
        case .version(let version): writer.writeUInt16(version.rawValue)
        case .serverIdentifier(let address): writer.writeBytes(address.bytes)
        case .serverPriority(let value), .replyPort(let value), .maxMessageSize(let value):
            writer.writeUInt16(value)
        case .bootImageListPath(let text), .shadowMountPath(let text), .shadowFilePath(let text),
             .machineName(let text):
            writer.writeBytes(text.utf8)
        case .defaultBootImage(let id), .selectedBootImage(let id): writer.writeUInt32(id.rawValue)
        case .bootImageList(let images):
            for image in images { image.encode(into: &writer) }
        case .netBoot10Firmware: break
        case .attributesFilterList(let attributes):
            for value in attributes { writer.writeUInt16(value) }
        case .unknown(_, let data): writer.writeBytes(data)
        }
        return writer.bytes
    }

    /// Decodes one sub-option whose payload is `bytes[range]`. `context` names the option-43
    /// instance for error messages; offsets are those of `bytes`.
    static func decode(code: UInt8, _ bytes: [UInt8], range: Range<Int>, context: String) throws(WireError) -> BSDPOption {
        let name = "\(context), sub-option \(code) (\(BSDPOptionCode.name(code)))"
        let length = range.count
        var reader = ByteReader(bytes, range: range)
        func require(_ expected: Int) throws(WireError) {
            guard length == expected else {
                throw WireError(.badLength, at: range.lowerBound - 1,
                                "\(name): length \(length), must be \(expected)")
            }
        }
        func text() throws(WireError) -> String {
            guard let value = String(validating: bytes[range], as: UTF8.self) else {
                throw WireError(.badString, at: range.lowerBound, "\(name): not UTF-8")
            }
            return value
        }
        switch code {
        case BSDPOptionCode.messageType:
            try require(1)
            let raw = try reader.readUInt8(name)
            guard let type = BSDPMessageType(rawValue: raw) else {
                throw WireError(.badValue, at: range.lowerBound, "\(name): unknown message type \(raw)")
            }
            return .messageType(type)
        case BSDPOptionCode.version:
            try require(2)
            return .version(BSDPVersion(rawValue: try reader.readUInt16(name)))
        case BSDPOptionCode.serverIdentifier:
            try require(4)
            return .serverIdentifier(IPv4Address(rawValue: try reader.readUInt32(name)))
        case BSDPOptionCode.serverPriority:
            try require(2)
            return .serverPriority(try reader.readUInt16(name))
        case BSDPOptionCode.replyPort:
            try require(2)
            return .replyPort(try reader.readUInt16(name))
        case BSDPOptionCode.bootImageListPath:
            return .bootImageListPath(try text())
        case BSDPOptionCode.defaultBootImage:
            try require(4)
            return .defaultBootImage(BootImageID(rawValue: try reader.readUInt32(name)))
        case BSDPOptionCode.selectedBootImage:
            try require(4)
            return .selectedBootImage(BootImageID(rawValue: try reader.readUInt32(name)))
        case BSDPOptionCode.bootImageList:
            return .bootImageList(try BSDPBootImage.decodeList(bytes, range: range, context: name))
        case BSDPOptionCode.netBoot10Firmware:
            try require(0)
            return .netBoot10Firmware
        case BSDPOptionCode.attributesFilterList:
            guard length >= 2, length % 2 == 0 else {
                throw WireError(.badLength, at: range.lowerBound - 1,
                                "\(name): length \(length), must be a non-zero multiple of 2")
            }
            var values: [UInt16] = []
            while !reader.isAtEnd { values.append(try reader.readUInt16(name)) }
            return .attributesFilterList(values)
        case BSDPOptionCode.maxMessageSize:
            try require(2)
            return .maxMessageSize(try reader.readUInt16(name))
        case BSDPOptionCode.shadowMountPath:
            return .shadowMountPath(try text())
        case BSDPOptionCode.shadowFilePath:
            return .shadowFilePath(try text())
        case BSDPOptionCode.machineName:
            return .machineName(try text())
        default:
            return .unknown(code: code, data: Array(bytes[range]))
        }
    }
}
