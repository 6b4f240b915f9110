/// One DHCP option as carried in a message (RFC 2132 §2): a code and its data.
///
/// ``DHCPMessage`` keeps options as an ordered list of these, one entry per instance read
/// from the wire, so that several instances of one code (RFC 3396 long options, BSDP's
/// several option-43 instances) stay separately visible and re-encode exactly. An entry may
/// hold more than 255 bytes: the encoder then splits it into consecutive instances of at
/// most 255 bytes each, as RFC 3396 prescribes.
public struct DHCPOption: Hashable, Sendable {
    public var code: DHCPOptionCode
    public var data: [UInt8]

    public init(_ code: DHCPOptionCode, _ data: [UInt8]) {
        self.code = code
        self.data = data
    }

    /// The largest data one wire instance can carry (the length is a single octet).
    public static let maximumInstanceLength = 255

    /// Bytes this entry takes on the wire: code and length per instance, plus the data.
    /// Empty data still takes one instance (code, length 0); longer data splits per RFC 3396.
    public var encodedSize: Int { DHCPOption.encodedSize(dataCount: data.count) }

    /// Bytes an entry with `dataCount` data bytes takes on the wire (RFC 3396 split included).
    public static func encodedSize(dataCount: Int) -> Int {
        let instances = max(1, (dataCount + maximumInstanceLength - 1) / maximumInstanceLength)
        return 2 * instances + dataCount
    }
}

/// Which of the `file` and `sname` fields carry options (RFC 2132 §9.3, option 52).
public enum DHCPOptionOverload: UInt8, Hashable, Sendable {
    case file = 1
    case sname = 2
    case both = 3

    public var includesFile: Bool { self == .file || self == .both }
    public var includesSname: Bool { self == .sname || self == .both }
}

/// A list of type-length-value sub-options inside one option, as used by relay agent
/// information (RFC 3046 §2.0) and iPXE's encapsulated option 175: one code octet, one length
/// octet, the data; no pad or end.
public struct DHCPSubOption: Hashable, Sendable {
    public var code: UInt8
    public var data: [UInt8]

    public init(_ code: UInt8, _ data: [UInt8]) {
        self.code = code
        self.data = data
    }

    /// Decodes a complete sub-option list; a length past the end is `.overrun`.
    public static func decodeList(_ bytes: [UInt8], option: DHCPOptionCode) throws(WireError) -> [DHCPSubOption] {
        var reader = ByteReader(bytes)
        var result: [DHCPSubOption] = []
        while !reader.isAtEnd {
            let code = try reader.readUInt8("option \(option) sub-option code")
            let start = reader.offset
            guard let length = reader.peek() else {
                throw WireError(.truncated, at: start, "option \(option) sub-option \(code): no length")
            }
            try reader.skip(1)
            guard Int(length) <= reader.remaining else {
                throw WireError(.overrun, at: start,
                                "option \(option) sub-option \(code): length \(length), \(reader.remaining) left")
            }
            result.append(DHCPSubOption(code, try reader.readBytes(Int(length))))
        }
        return result
    }

    /// Encodes a sub-option list; a sub-option longer than 255 bytes is `.tooLarge`.
    public static func encodeList(_ list: [DHCPSubOption], option: DHCPOptionCode) throws(WireError) -> [UInt8] {
        var writer = ByteWriter(capacity: list.reduce(0) { $0 + 2 + $1.data.count })
        for sub in list {
            guard sub.data.count <= 255 else {
                throw WireError(.tooLarge, at: writer.count,
                                "option \(option) sub-option \(sub.code): \(sub.data.count) bytes > 255")
            }
            writer.writeUInt8(sub.code)
            writer.writeUInt8(UInt8(sub.data.count))
            writer.writeBytes(sub.data)
        }
        return writer.bytes
    }
}
