/// An IPv4 packet (RFC 791 §3.1): the header fields, options kept raw, and the payload cut to
/// the header's total length (so Ethernet padding is dropped).
///
/// Fragments are reported (``isFragment``), never reassembled. Decoding does not reject a
/// wrong header checksum, because captures of locally sent packets carry unfinished checksums
/// (checksum offload); ``headerChecksumIsValid`` says whether it verified.
public struct IPv4Packet: Hashable, Sendable {
    /// IANA protocol numbers used here.
    public static let protocolUDP: UInt8 = 17
    public static let protocolTCP: UInt8 = 6
    public static let protocolICMP: UInt8 = 1

    /// DSCP and ECN (the former type of service).
    public var typeOfService: UInt8
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// In 8-byte units.
    public var fragmentOffset: UInt16
    public var timeToLive: UInt8
    public var protocolNumber: UInt8
    public var source: IPv4Address
    public var destination: IPv4Address
    /// Header options, raw, a multiple of 4 bytes (IHL > 5).
    public var options: [UInt8]
    public var payload: [UInt8]
    /// The checksum as read (decode) — the encoder always computes a fresh one.
    public var headerChecksum: UInt16
    /// True when the decoded header checksum verified (always true for built packets).
    public var headerChecksumIsValid: Bool

    public init(typeOfService: UInt8 = 0, identification: UInt16 = 0, dontFragment: Bool = false,
                moreFragments: Bool = false, fragmentOffset: UInt16 = 0, timeToLive: UInt8 = 64,
                protocolNumber: UInt8 = IPv4Packet.protocolUDP, source: IPv4Address, destination: IPv4Address,
                options: [UInt8] = [], payload: [UInt8]) {
        self.typeOfService = typeOfService
        self.identification = identification
        self.dontFragment = dontFragment
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset
        self.timeToLive = timeToLive
        self.protocolNumber = protocolNumber
        self.source = source
        self.destination = destination
        self.options = options
        self.payload = payload
        self.headerChecksum = 0
        self.headerChecksumIsValid = true
    }

    /// True for any fragment (more-fragments set or a non-zero offset).
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }

    /// Parses a packet. Throws `.badValue` for a version other than 4 or IHL < 5, `.truncated`
    /// when the buffer is shorter than the header, `.overrun` when the total length exceeds it
    /// or is shorter than the header.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let versionIHL = try reader.readUInt8("ipv4 version/IHL")
        guard versionIHL >> 4 == 4 else {
            throw WireError(.badValue, at: 0, "ip version \(versionIHL >> 4), expected 4")
        }
        let headerLength = Int(versionIHL & 0x0F) * 4
        guard headerLength >= 20 else {
            throw WireError(.badValue, at: 0, "ipv4 IHL \(versionIHL & 0x0F) is below 5")
        }
        guard bytes.count >= headerLength else {
            throw WireError(.truncated, at: 0, "ipv4 header: need \(headerLength) bytes, \(bytes.count) present")
        }
        let tos = try reader.readUInt8("ipv4 tos")
        let totalLength = Int(try reader.readUInt16("ipv4 total length"))
        guard totalLength >= headerLength, totalLength <= bytes.count else {
            throw WireError(.overrun, at: 2, "ipv4 total length \(totalLength), header \(headerLength), buffer \(bytes.count)")
        }
        let identification = try reader.readUInt16("ipv4 identification")
        let fragment = try reader.readUInt16("ipv4 flags/fragment offset")
        let ttl = try reader.readUInt8("ipv4 ttl")
        let proto = try reader.readUInt8("ipv4 protocol")
        let checksum = try reader.readUInt16("ipv4 checksum")
        let source = IPv4Address(rawValue: try reader.readUInt32("ipv4 source"))
        let destination = IPv4Address(rawValue: try reader.readUInt32("ipv4 destination"))
        let options = try reader.readBytes(headerLength - 20, "ipv4 options")
        let payload = Array(bytes[headerLength..<totalLength])
        self.init(typeOfService: tos, identification: identification, dontFragment: fragment & 0x4000 != 0,
                  moreFragments: fragment & 0x2000 != 0, fragmentOffset: fragment & 0x1FFF, timeToLive: ttl,
                  protocolNumber: proto, source: source, destination: destination, options: options, payload: payload)
        headerChecksum = checksum
        headerChecksumIsValid = InternetChecksum.sum(bytes[0..<headerLength]) == 0xFFFF
    }

    /// The packet bytes with a computed header checksum. Options are zero-padded to a multiple
    /// of 4; `.tooLarge` when options exceed 40 bytes or the packet 65535.
    public func encoded() throws(WireError) -> [UInt8] {
        let paddedOptions = options + [UInt8](repeating: 0, count: (4 - options.count % 4) % 4)
        guard paddedOptions.count <= 40 else {
            throw WireError(.tooLarge, at: 20, "ipv4 options \(options.count) bytes, at most 40")
        }
        let headerLength = 20 + paddedOptions.count
        let total = headerLength + payload.count
        guard total <= 0xFFFF else {
            throw WireError(.tooLarge, at: 2, "ipv4 packet \(total) bytes, at most 65535")
        }
        var writer = ByteWriter(capacity: total)
        writer.writeUInt8(0x40 | UInt8(headerLength / 4))
        writer.writeUInt8(typeOfService)
        writer.writeUInt16(UInt16(total))
        writer.writeUInt16(identification)
        writer.writeUInt16((dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | (fragmentOffset & 0x1FFF))
        writer.writeUInt8(timeToLive)
        writer.writeUInt8(protocolNumber)
        writer.writeUInt16(0)
        writer.writeUInt32(source.rawValue)
        writer.writeUInt32(destination.rawValue)
        writer.writeBytes(paddedOptions)
        writer.setUInt16(InternetChecksum.checksum(writer.bytes[0..<headerLength]), at: 10)
        writer.writeBytes(payload)
        return writer.bytes
    }
}
