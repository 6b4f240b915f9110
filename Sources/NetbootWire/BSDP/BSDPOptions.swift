/// The BSDP sub-options of one DHCP packet, in wire order (Apple BSDP 1.0.8 §3.4;
/// `dhcpol_parse_vendor` in `bootplib/dhcp_options.c`; reference §1.9).
///
/// A packet may carry several option-43 instances. Each instance is decoded on its own as a
/// complete TLV run — a sub-option may not continue into the next instance (Apple and
/// Wireshark parse them the same way) — and the results are joined in order. Pad (0) is
/// skipped and end (255) ends its instance, as Wireshark does. Repeated list sub-options
/// (9 boot image list, 11 attribute filter) are concatenated into the first one; any other
/// repeat is kept in order and the typed accessors return the first, like Apple's
/// `dhcpol_find`. Unknown codes are kept byte for byte.
public struct BSDPOptions: Hashable, Sendable {
    public var options: [BSDPOption]

    public init(_ options: [BSDPOption] = []) { self.options = options }

    /// Decodes the payloads of every option-43 instance of a packet, in packet order.
    /// Throws `.truncated` (a code without its length byte), `.overrun` (a length past the
    /// end of its instance, or a descriptor past the end of its sub-option 9),
    /// `.badLength` (a fixed-length sub-option with another length), `.badValue`
    /// (unknown message type) or `.badString` (text that is not UTF-8).
    public static func decode(instances: [[UInt8]]) throws(WireError) -> BSDPOptions {
        var result = BSDPOptions()
        for (number, instance) in instances.enumerated() {
            let context = "option 43 instance \(number + 1)"
            var reader = ByteReader(instance)
            while !reader.isAtEnd {
                let start = reader.offset
                let code = try reader.readUInt8(context)
                if code == BSDPOptionCode.pad { continue }
                if code == BSDPOptionCode.end { break }
                guard !reader.isAtEnd else {
                    throw WireError(.truncated, at: start,
                                    "\(context): sub-option \(code) (\(BSDPOptionCode.name(code))) has no length byte")
                }
                let length = Int(try reader.readUInt8(context))
                guard length <= reader.remaining else {
                    throw WireError(.overrun, at: start,
                                    "\(context): sub-option \(code) (\(BSDPOptionCode.name(code))) length \(length) overruns its option 43 (\(reader.remaining) bytes left)")
                }
                let range = try reader.readRange(length, context)
                result.append(try BSDPOption.decode(code: code, instance, range: range, context: context))
            }
        }
        return result
    }

    /// Appends a decoded sub-option, joining lists with an earlier sub-option of the same code.
    mutating func append(_ option: BSDPOption) {
        switch option {
        case .bootImageList(let more):
            if let index = options.firstIndex(where: { $0.code == BSDPOptionCode.bootImageList }),
               case .bootImageList(let earlier) = options[index] {
                options[index] = .bootImageList(earlier + more)
                return
            }
        case .attributesFilterList(let more):
            if let index = options.firstIndex(where: { $0.code == BSDPOptionCode.attributesFilterList }),
               case .attributesFilterList(let earlier) = options[index] {
                options[index] = .attributesFilterList(earlier + more)
                return
            }
        default: break
        }
        options.append(option)
    }

    /// The first sub-option with `code`.
    public func first(_ code: UInt8) -> BSDPOption? { options.first { $0.code == code } }

    public func contains(_ code: UInt8) -> Bool { first(code) != nil }

    public var messageType: BSDPMessageType? {
        if case .messageType(let value)? = first(BSDPOptionCode.messageType) { return value }
        return nil
    }
    public var version: BSDPVersion? {
        if case .version(let value)? = first(BSDPOptionCode.version) { return value }
        return nil
    }
    public var serverIdentifier: IPv4Address? {
        if case .serverIdentifier(let value)? = first(BSDPOptionCode.serverIdentifier) { return value }
        return nil
    }
    public var serverPriority: UInt16? {
        if case .serverPriority(let value)? = first(BSDPOptionCode.serverPriority) { return value }
        return nil
    }
    public var replyPort: UInt16? {
        if case .replyPort(let value)? = first(BSDPOptionCode.replyPort) { return value }
        return nil
    }
    public var defaultBootImage: BootImageID? {
        if case .defaultBootImage(let value)? = first(BSDPOptionCode.defaultBootImage) { return value }
        return nil
    }
    public var selectedBootImage: BootImageID? {
        if case .selectedBootImage(let value)? = first(BSDPOptionCode.selectedBootImage) { return value }
        return nil
    }
    /// All descriptors of every sub-option 9, in order; empty when there is none.
    public var bootImageList: [BSDPBootImage] {
        if case .bootImageList(let value)? = first(BSDPOptionCode.bootImageList) { return value }
        return []
    }
    public var isNetBoot10Firmware: Bool { contains(BSDPOptionCode.netBoot10Firmware) }
    public var attributesFilterList: [UInt16]? {
        if case .attributesFilterList(let value)? = first(BSDPOptionCode.attributesFilterList) { return value }
        return nil
    }
    public var maxMessageSize: UInt16? {
        if case .maxMessageSize(let value)? = first(BSDPOptionCode.maxMessageSize) { return value }
        return nil
    }
    public var shadowMountPath: String? {
        if case .shadowMountPath(let value)? = first(BSDPOptionCode.shadowMountPath) { return value }
        return nil
    }
    public var shadowFilePath: String? {
        if case .shadowFilePath(let value)? = first(BSDPOptionCode.shadowFilePath) { return value }
        return nil
    }
    public var machineName: String? {
        if case .machineName(let value)? = first(BSDPOptionCode.machineName) { return value }
        return nil
    }
}
