/// An EtherType (IEEE 802.3 / IANA "IEEE 802 Numbers"); an open set.
public struct EtherType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let ipv4 = EtherType(rawValue: 0x0800)
    public static let arp = EtherType(rawValue: 0x0806)
    /// IEEE 802.1Q customer VLAN tag.
    public static let vlan = EtherType(rawValue: 0x8100)
    /// IEEE 802.1ad service VLAN tag (Q-in-Q outer tag).
    public static let serviceVLAN = EtherType(rawValue: 0x88A8)
    public static let ipv6 = EtherType(rawValue: 0x86DD)
    public var description: String { "0x" + String(rawValue, radix: 16) }
}

/// An IEEE 802.1Q tag control field: priority (PCP), drop eligible (DEI) and VLAN id.
public struct VLANTag: Hashable, Sendable {
    /// The tag protocol identifier this tag was read with (0x8100, or 0x88A8 for an outer tag).
    public var tpid: EtherType
    public var priority: UInt8
    public var dropEligible: Bool
    public var id: UInt16

    public init(id: UInt16, priority: UInt8 = 0, dropEligible: Bool = false, tpid: EtherType = .vlan) {
        self.tpid = tpid
        self.priority = priority & 0x7
        self.dropEligible = dropEligible
        self.id = id & 0x0FFF
    }

    init(tpid: EtherType, tci: UInt16) {
        self.init(id: tci & 0x0FFF, priority: UInt8(tci >> 13), dropEligible: tci & 0x1000 != 0, tpid: tpid)
    }

    var tci: UInt16 { UInt16(priority) << 13 | (dropEligible ? 0x1000 : 0) | id }
}

/// An Ethernet II frame (IEEE 802.3 clause 3 with EtherType), without the FCS, with any
/// 802.1Q/802.1ad tags between the source address and the EtherType.
public struct EthernetFrame: Hashable, Sendable {
    public var destination: MACAddress
    public var source: MACAddress
    /// VLAN tags, outermost first (empty for an untagged frame).
    public var vlanTags: [VLANTag]
    public var etherType: EtherType
    /// Everything after the EtherType; may include trailing padding up to the 60-byte minimum.
    public var payload: [UInt8]

    /// The smallest frame without FCS (IEEE 802.3: 64 bytes with the 4-byte FCS).
    public static let minimumSize = 60

    public init(destination: MACAddress, source: MACAddress, vlanTags: [VLANTag] = [],
                etherType: EtherType, payload: [UInt8]) {
        self.destination = destination
        self.source = source
        self.vlanTags = vlanTags
        self.etherType = etherType
        self.payload = payload
    }

    /// Parses a frame; at most two VLAN tags are read (a third is reported as the EtherType).
    public init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let destinationBytes = try reader.readBytes(6, "ethernet destination")
        let sourceBytes = try reader.readBytes(6, "ethernet source")
        var type = EtherType(rawValue: try reader.readUInt16("ethertype"))
        var tags: [VLANTag] = []
        while (type == .vlan || type == .serviceVLAN), tags.count < 2 {
            tags.append(VLANTag(tpid: type, tci: try reader.readUInt16("802.1Q tag")))
            type = EtherType(rawValue: try reader.readUInt16("ethertype after 802.1Q tag"))
        }
        self.init(destination: MACAddress(bytes: destinationBytes) ?? .broadcast,
                  source: MACAddress(bytes: sourceBytes) ?? .broadcast,
                  vlanTags: tags, etherType: type, payload: reader.readRemaining())
    }

    /// The frame bytes; with `padToMinimum`, zero-filled to 60 bytes (for senders whose driver
    /// does not pad short frames).
    public func encoded(padToMinimum: Bool = false) -> [UInt8] {
        var writer = ByteWriter(capacity: 18 + payload.count)
        writer.writeBytes(destination.bytes)
        writer.writeBytes(source.bytes)
        for tag in vlanTags {
            writer.writeUInt16(tag.tpid.rawValue)
            writer.writeUInt16(tag.tci)
        }
        writer.writeUInt16(etherType.rawValue)
        writer.writeBytes(payload)
        if padToMinimum { writer.writeZeros(EthernetFrame.minimumSize - writer.count) }
        return writer.bytes
    }
}
