import NetbootWire

/// A capture timestamp: seconds since the Unix epoch and microseconds.
public struct PacketTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64
    public var microseconds: Int32

    public init(seconds: Int64, microseconds: Int32) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    public var interval: Double { Double(seconds) + Double(microseconds) / 1_000_000 }

    /// `1102274184.317453` — the JSON `time` literal.
    public var epochText: String { "\(seconds)." + Self.pad(Int(microseconds), 6) }

    /// `17:16:24.317453` (UTC) — the text line's time.
    public var clockText: String {
        let day = ((seconds % 86_400) + 86_400) % 86_400
        return Self.pad(Int(day / 3600), 2) + ":" + Self.pad(Int(day / 60 % 60), 2) + ":"
            + Self.pad(Int(day % 60), 2) + "." + Self.pad(Int(microseconds), 6)
    }

    public var description: String { epochText }

    public static func < (lhs: PacketTime, rhs: PacketTime) -> Bool {
        (lhs.seconds, lhs.microseconds) < (rhs.seconds, rhs.microseconds)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// The protocol a decoded packet was recognised as (`proto` in `netboot decode --json`).
public enum PacketProtocol: String, Hashable, Sendable {
    case dhcp, bsdp, tftp, other
}

/// The BSDP view of a DHCP packet whose option 60 is `AAPLBSDPC…` (Apple BSDP 1.0.8 §3):
/// the fields `netboot decode` prints, read leniently from option 43's sub-options.
public struct BSDPSummary: Hashable, Sendable {
    public var vendorClass: BSDPVendorClass?
    public var messageType: BSDPMessageType?
    public var images: [BSDPBootImage]
    public var selectedImage: BootImageID?
    public var defaultImage: BootImageID?
    public var serverPriority: UInt16?
    public var replyPort: UInt16?
    public var attributesFilter: [UInt16]?
    public var machineName: String?
}

/// One captured packet, decoded as far as it goes. `error` says where decoding stopped; the
/// fields before it stay filled in.
public struct PacketRecord: Hashable, Sendable {
    public var time: PacketTime
    /// `ip:port` for UDP, `ip` for other IPv4, the MAC address (or `-`) below IP.
    public var source: String
    public var destination: String
    public var proto: PacketProtocol
    /// Bytes on the wire (the original length, even when the capture was cut).
    public var length: Int
    public var sourceMAC: MACAddress?
    /// The IPv4 protocol number (17 UDP, 6 TCP), nil below IP.
    public var ipProtocol: UInt8?
    public var dhcp: DHCPMessage?
    public var bsdp: BSDPSummary?
    public var tftp: TFTPPacket?
    /// The TFTP transfer this packet belongs to (RRQ/WRQ or on the transfer's ports).
    public var tftpTransfer: TFTPTransferKey?
    /// Which way a TFTP packet travels: true from the client (the RRQ's sender).
    public var tftpFromClient: Bool?
    public var error: String?

    public init(time: PacketTime, source: String = "-", destination: String = "-", proto: PacketProtocol = .other,
                length: Int = 0) {
        self.time = time
        self.source = source
        self.destination = destination
        self.proto = proto
        self.length = length
    }
}
