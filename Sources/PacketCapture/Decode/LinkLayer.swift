import NetbootWire

/// The link-layer header types the decoder reads (tcpdump.org "Link-layer header types";
/// values as libpcap's `pcap_datalink` reports them, i.e. DLT_ numbers).
public enum LinkLayer: Hashable, Sendable, CustomStringConvertible {
    /// DLT_EN10MB (LINKTYPE_ETHERNET 1): Ethernet II, 802.1Q tags allowed.
    case ethernet
    /// DLT_LINUX_SLL (113): Linux "cooked" capture v1 (`tcpdump -i any`), 16-byte header.
    case linuxCooked
    /// DLT_LINUX_SLL2 (276): Linux cooked capture v2, 20-byte header.
    case linuxCookedV2
    /// DLT_RAW (12 on Linux, 14 on some BSDs; LINKTYPE_RAW 101 in files): a bare IP packet.
    case rawIP

    /// The link layer for a libpcap DLT value; nil for link types the decoder cannot read.
    public init?(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet
        case 113: self = .linuxCooked
        case 276: self = .linuxCookedV2
        case 12, 14, 101: self = .rawIP
        default: return nil
        }
    }

    /// The DLT value libpcap uses for this link layer (for writing captures).
    public var dlt: Int32 {
        switch self {
        case .ethernet: 1
        case .linuxCooked: 113
        case .linuxCookedV2: 276
        case .rawIP: 12
        }
    }

    public var description: String {
        switch self {
        case .ethernet: "EN10MB (Ethernet)"
        case .linuxCooked: "LINUX_SLL (Linux cooked v1)"
        case .linuxCookedV2: "LINUX_SLL2 (Linux cooked v2)"
        case .rawIP: "RAW (IP)"
        }
    }

    /// Where the network layer starts in a frame: its EtherType, payload and the link-layer
    /// source/destination MAC addresses when the header carries them.
    public struct Payload: Hashable, Sendable {
        public var etherType: EtherType
        public var bytes: [UInt8]
        public var source: MACAddress?
        public var destination: MACAddress?
    }

    /// Strips the link-layer header. Throws ``WireError`` for a frame shorter than its header.
    public func payload(of frame: [UInt8]) throws(WireError) -> Payload {
        switch self {
        case .ethernet:
            let ethernet = try EthernetFrame(decoding: frame)
            return Payload(etherType: ethernet.etherType, bytes: ethernet.payload,
                           source: ethernet.source, destination: ethernet.destination)
        case .linuxCooked:
            // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
            guard frame.count >= 16 else {
                throw WireError(.truncated, at: 0, "linux cooked header: need 16 bytes, \(frame.count) present")
            }
            let addressLength = Int(frame[4]) << 8 | Int(frame[5])
            let source = addressLength == 6 ? MACAddress(bytes: frame[6..<12]) : nil
            return Payload(etherType: EtherType(rawValue: UInt16(frame[14]) << 8 | UInt16(frame[15])),
                           bytes: Array(frame[16...]), source: source, destination: nil)
        case .linuxCookedV2:
            // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8)
            guard frame.count >= 20 else {
                throw WireError(.truncated, at: 0, "linux cooked v2 header: need 20 bytes, \(frame.count) present")
            }
            let source = frame[11] == 6 ? MACAddress(bytes: frame[12..<18]) : nil
            return Payload(etherType: EtherType(rawValue: UInt16(frame[0]) << 8 | UInt16(frame[1])),
                           bytes: Array(frame[20...]), source: source, destination: nil)
        case .rawIP:
            guard let first = frame.first else {
                throw WireError(.truncated, at: 0, "raw IP packet is empty")
            }
            let type: EtherType = first >> 4 == 6 ? .ipv6 : .ipv4
            return Payload(etherType: type, bytes: frame, source: nil, destination: nil)
        }
    }
}
