/// A DHCPv4 message (RFC 2131 §2, figure 1): the BOOTP fixed fields, the magic cookie and
/// the options (RFC 2132).
///
/// Options are an ordered list of wire instances (``DHCPOption``), so unknown options and
/// repeated instances survive decode → encode byte for byte. When option 52 (overload) says
/// so, options found in `file` and `sname` are kept apart in ``fileOptions`` and
/// ``snameOptions``; typed reads (``value(_:)``) see the three areas concatenated in the order
/// RFC 2131 §4.1 and RFC 3396 give: `options`, then `file`, then `sname`.
///
/// Decoding never traps and never reads outside the buffer; every fault is a ``WireError``.
public struct DHCPMessage: Hashable, Sendable {
    /// RFC 2131 `op`: BOOTREQUEST (client to server) or BOOTREPLY.
    public enum Opcode: UInt8, Hashable, Sendable {
        case bootRequest = 1
        case bootReply = 2
    }

    public var op: Opcode
    /// Hardware address type (ARP `hrd`, RFC 1700); 1 is Ethernet.
    public var htype: UInt8
    /// Hardware address length; at most 16 (the size of `chaddr`).
    public var hlen: UInt8
    public var hops: UInt8
    public var xid: UInt32
    public var secs: UInt16
    /// RFC 2131 §2 figure 2: the leftmost bit is BROADCAST, the rest MUST be zero (kept as read).
    public var flags: UInt16
    public var ciaddr: IPv4Address
    public var yiaddr: IPv4Address
    public var siaddr: IPv4Address
    public var giaddr: IPv4Address
    /// Client hardware address, up to 16 bytes; decoding keeps all 16 (padding is zero-filled
    /// on encode), so bytes past `hlen` round-trip too.
    public var chaddr: [UInt8]
    /// Server host name field, up to 64 bytes; decoding drops trailing zero bytes.
    /// Ignored on encode when option 52 overloads `sname`.
    public var sname: [UInt8]
    /// Boot file name field, up to 128 bytes; decoding drops trailing zero bytes.
    /// Ignored on encode when option 52 overloads `file`.
    public var file: [UInt8]
    /// The options field, in wire order, one entry per instance (pad and end are not entries).
    public var options: [DHCPOption]
    /// Options carried in `file` (only when option 52 says so).
    public var fileOptions: [DHCPOption]
    /// Options carried in `sname` (only when option 52 says so).
    public var snameOptions: [DHCPOption]

    /// RFC 2131 §3: 99.130.83.99.
    public static let magicCookie: [UInt8] = [99, 130, 83, 99]
    /// Bytes before the options field: 236 fixed bytes and the 4-byte cookie.
    public static let fixedSize = 240
    /// RFC 1542 §2.1 / BOOTP: relays and old clients expect messages of at least 300 bytes.
    public static let bootpMinimumSize = 300
    public static let snameSize = 64
    public static let fileSize = 128
    public static let chaddrSize = 16

    public init(op: Opcode, htype: UInt8 = 1, hlen: UInt8 = 6, hops: UInt8 = 0, xid: UInt32,
                secs: UInt16 = 0, flags: UInt16 = 0,
                ciaddr: IPv4Address = .any, yiaddr: IPv4Address = .any,
                siaddr: IPv4Address = .any, giaddr: IPv4Address = .any,
                chaddr: [UInt8] = [], sname: [UInt8] = [], file: [UInt8] = [],
                options: [DHCPOption] = [], fileOptions: [DHCPOption] = [], snameOptions: [DHCPOption] = []) {
        self.op = op
        self.htype = htype
        self.hlen = hlen
        self.hops = hops
        self.xid = xid
        self.secs = secs
        self.flags = flags
        self.ciaddr = ciaddr
        self.yiaddr = yiaddr
        self.siaddr = siaddr
        self.giaddr = giaddr
        self.chaddr = chaddr
        self.sname = sname
        self.file = file
        self.options = options
        self.fileOptions = fileOptions
        self.snameOptions = snameOptions
    }

    /// An Ethernet client's message: `htype` 1, `hlen` 6, `chaddr` = `mac` zero-filled to 16
    /// bytes (the form decoding produces, so built and decoded messages compare equal).
    public init(op: Opcode, xid: UInt32, mac: MACAddress) {
        self.init(op: op, htype: 1, hlen: 6, xid: xid,
                  chaddr: mac.bytes + [UInt8](repeating: 0, count: DHCPMessage.chaddrSize - 6))
    }

    /// The BROADCAST flag (RFC 2131 §4.1): the client cannot take unicast before it is configured.
    public var broadcast: Bool {
        get { flags & 0x8000 != 0 }
        set { flags = newValue ? flags | 0x8000 : flags & 0x7FFF }
    }

    /// `chaddr` as a MAC address when it is one (`htype` 1, `hlen` 6).
    public var clientMAC: MACAddress? {
        guard htype == 1, hlen == 6, chaddr.count >= 6 else { return nil }
        return MACAddress(bytes: chaddr.prefix(6))
    }

    /// The hardware address: the first `hlen` bytes of `chaddr`.
    public var hardwareAddress: [UInt8] { Array(chaddr.prefix(Int(hlen))) }

    /// `sname` as text up to its first NUL, nil when not UTF-8 or when overloaded.
    public var serverName: String? {
        guard overloadArea?.includesSname != true else { return nil }
        return DHCPMessage.text(sname)
    }

    /// `file` as text up to its first NUL, nil when not UTF-8 or when overloaded.
    public var bootFileName: String? {
        guard overloadArea?.includesFile != true else { return nil }
        return DHCPMessage.text(file)
    }

    static func text(_ field: [UInt8]) -> String? {
        let end = field.firstIndex(of: 0) ?? field.count
        return String(strictUTF8: field[0..<end])
    }

    /// The overload value of option 52 in the options field, if present and valid.
    public var overloadArea: DHCPOptionOverload? {
        guard let entry = options.first(where: { $0.code == .optionOverload }), entry.data.count == 1 else { return nil }
        return DHCPOptionOverload(rawValue: entry.data[0])
    }
}
