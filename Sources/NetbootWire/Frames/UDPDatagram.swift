/// A UDP datagram (RFC 768) carried in IPv4, with the pseudo-header checksum.
///
/// A checksum of 0 means "none" (RFC 768) and is accepted; a non-zero checksum is verified
/// against the IPv4 pseudo-header and reported in ``checksumStatus`` (not rejected, for the
/// same checksum-offload reason as ``IPv4Packet``).
public struct UDPDatagram: Hashable, Sendable {
    public enum ChecksumStatus: Hashable, Sendable {
        /// The sender put 0: no checksum.
        case none
        case valid
        case invalid
    }

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payload: [UInt8]
    public var checksumStatus: ChecksumStatus
    /// The checksum as read; the encoder always computes a fresh one.
    public var checksum: UInt16

    public init(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8]) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payload = payload
        self.checksumStatus = .valid
        self.checksum = 0
    }

    /// Parses the UDP part of `packet`. Throws `.badValue` for a non-UDP packet or a
    /// non-first fragment, `.truncated`/`.overrun` for a bad length. A first fragment
    /// (more-fragments set) is refused too: its payload is incomplete.
    public init(decoding packet: IPv4Packet) throws(WireError) {
        guard packet.protocolNumber == IPv4Packet.protocolUDP else {
            throw WireError(.badValue, at: 9, "ip protocol \(packet.protocolNumber) is not UDP")
        }
        guard !packet.isFragment else {
            throw WireError(.badValue, at: 6, "ipv4 fragment (offset \(packet.fragmentOffset), more \(packet.moreFragments)); not reassembled")
        }
        let bytes = packet.payload
        var reader = ByteReader(bytes)
        let sourcePort = try reader.readUInt16("udp source port")
        let destinationPort = try reader.readUInt16("udp destination port")
        let length = Int(try reader.readUInt16("udp length"))
        let checksum = try reader.readUInt16("udp checksum")
        guard length >= 8, length <= bytes.count else {
            throw WireError(.overrun, at: 4, "udp length \(length), \(bytes.count) bytes in the ip payload")
        }
        self.init(sourcePort: sourcePort, destinationPort: destinationPort, payload: Array(bytes[8..<length]))
        self.checksum = checksum
        if checksum == 0 {
            checksumStatus = .none
        } else {
            let sum = InternetChecksum.sum(bytes[0..<length],
                                           initial: UDPDatagram.pseudoHeaderSum(source: packet.source,
                                                                                destination: packet.destination,
                                                                                length: length))
            checksumStatus = sum == 0xFFFF ? .valid : .invalid
        }
    }

    static func pseudoHeaderSum(source: IPv4Address, destination: IPv4Address, length: Int) -> UInt32 {
        InternetChecksum.sum(source.bytes + destination.bytes
            + [0, IPv4Packet.protocolUDP, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)])
    }

    /// The datagram bytes with the checksum computed over the pseudo-header (RFC 768); a
    /// computed 0 is sent as 0xFFFF. `.tooLarge` past 65535 bytes.
    public func encoded(source: IPv4Address, destination: IPv4Address) throws(WireError) -> [UInt8] {
        let length = 8 + payload.count
        guard length <= 0xFFFF else {
            throw WireError(.tooLarge, at: 4, "udp datagram \(length) bytes, at most 65535")
        }
        var writer = ByteWriter(capacity: length)
        writer.writeUInt16(sourcePort)
        writer.writeUInt16(destinationPort)
        writer.writeUInt16(UInt16(length))
        writer.writeUInt16(0)
        writer.writeBytes(payload)
        var sum = InternetChecksum.checksum(writer.bytes,
                                            initial: UDPDatagram.pseudoHeaderSum(source: source, destination: destination,
                                                                                 length: length))
        if sum == 0 { sum = 0xFFFF }
        writer.setUInt16(sum, at: 6)
        return writer.bytes
    }
}

/// An Ethernet/IPv4/UDP frame taken apart or put together in one step: what the raw
/// link-layer sender sends (a DHCP reply unicast to `chaddr`) and what capture decoding reads.
public struct UDPFrame: Hashable, Sendable {
    public var ethernet: EthernetFrame
    public var ip: IPv4Packet
    public var udp: UDPDatagram

    /// Decodes a whole Ethernet frame down to UDP; `.badValue` for a non-IPv4 EtherType, a
    /// non-UDP protocol or a fragment.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        let ethernet = try EthernetFrame(decoding: bytes)
        guard ethernet.etherType == .ipv4 else {
            throw WireError(.badValue, at: 12, "ethertype \(ethernet.etherType) is not IPv4")
        }
        let ip = try IPv4Packet(decoding: ethernet.payload)
        self.ethernet = ethernet
        self.ip = ip
        self.udp = try UDPDatagram(decoding: ip)
    }

    /// Builds the frame bytes for a UDP payload (IPv4 TTL 64 unless given, identification 0,
    /// no fragmentation), checksums filled in, padded to the Ethernet minimum.
    public static func encode(sourceMAC: MACAddress, destinationMAC: MACAddress, vlanTags: [VLANTag] = [],
                              source: IPv4Address, destination: IPv4Address,
                              sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8],
                              timeToLive: UInt8 = 64, typeOfService: UInt8 = 0) throws(WireError) -> [UInt8] {
        let udp = try UDPDatagram(sourcePort: sourcePort, destinationPort: destinationPort, payload: payload)
            .encoded(source: source, destination: destination)
        let ip = try IPv4Packet(typeOfService: typeOfService, timeToLive: timeToLive, protocolNumber: IPv4Packet.protocolUDP,
                                source: source, destination: destination, payload: udp).encoded()
        return EthernetFrame(destination: destinationMAC, source: sourceMAC, vlanTags: vlanTags,
                             etherType: .ipv4, payload: ip).encoded(padToMinimum: true)
    }
}
