/// The DHCP message type, option 53 (RFC 2132 §9.6; 9 from RFC 3203; 10–13 from RFC 4388).
///
/// An open set so that a message with an unassigned type still decodes; `description` is the
/// RFC name (`DHCPDISCOVER` …) or `DHCP type N`.
public struct DHCPMessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let discover = DHCPMessageType(rawValue: 1)
    public static let offer = DHCPMessageType(rawValue: 2)
    public static let request = DHCPMessageType(rawValue: 3)
    public static let decline = DHCPMessageType(rawValue: 4)
    public static let ack = DHCPMessageType(rawValue: 5)
    public static let nak = DHCPMessageType(rawValue: 6)
    public static let release = DHCPMessageType(rawValue: 7)
    public static let inform = DHCPMessageType(rawValue: 8)
    /// RFC 3203.
    public static let forceRenew = DHCPMessageType(rawValue: 9)
    /// RFC 4388 §6.1.
    public static let leaseQuery = DHCPMessageType(rawValue: 10)
    public static let leaseUnassigned = DHCPMessageType(rawValue: 11)
    public static let leaseUnknown = DHCPMessageType(rawValue: 12)
    public static let leaseActive = DHCPMessageType(rawValue: 13)

    private static let names: [UInt8: String] = [
        1: "DHCPDISCOVER", 2: "DHCPOFFER", 3: "DHCPREQUEST", 4: "DHCPDECLINE", 5: "DHCPACK",
        6: "DHCPNAK", 7: "DHCPRELEASE", 8: "DHCPINFORM", 9: "DHCPFORCERENEW", 10: "DHCPLEASEQUERY",
        11: "DHCPLEASEUNASSIGNED", 12: "DHCPLEASEUNKNOWN", 13: "DHCPLEASEACTIVE",
    ]

    /// The RFC name, nil for unassigned values.
    public var name: String? { DHCPMessageType.names[rawValue] }

    /// Parses an RFC name such as `DHCPACK`.
    public init?(name: String) {
        guard let entry = DHCPMessageType.names.first(where: { $0.value == name }) else { return nil }
        rawValue = entry.key
    }

    public var description: String { name ?? "DHCP type \(rawValue)" }
}

/// Client identifier, option 61 (RFC 2132 §9.14): a type octet (1 = Ethernet, 0 = opaque,
/// 255 = RFC 4361 IAID/DUID) and at least one identifier byte.
public struct DHCPClientIdentifier: Hashable, Sendable {
    public var type: UInt8
    public var identifier: [UInt8]
    public init(type: UInt8, identifier: [UInt8]) {
        self.type = type
        self.identifier = identifier
    }
    /// The usual form: type 1 and the MAC address.
    public init(mac: MACAddress) { self.init(type: 1, identifier: mac.bytes) }
}

/// Client system architecture type, option 93 (RFC 4578 §2.1, values from the IANA
/// "Processor Architecture Types" registry, which corrected RFC 4578's 7 and 9).
public struct DHCPClientArchitecture: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let x86BIOS = DHCPClientArchitecture(rawValue: 0)
    public static let itanium = DHCPClientArchitecture(rawValue: 2)
    public static let x86UEFI = DHCPClientArchitecture(rawValue: 6)
    public static let x64UEFI = DHCPClientArchitecture(rawValue: 7)
    public static let efiByteCode = DHCPClientArchitecture(rawValue: 9)
    public static let arm32UEFI = DHCPClientArchitecture(rawValue: 10)
    public static let arm64UEFI = DHCPClientArchitecture(rawValue: 11)
    public static let x86UEFIHTTP = DHCPClientArchitecture(rawValue: 15)
    public static let x64UEFIHTTP = DHCPClientArchitecture(rawValue: 16)
    public static let arm32UEFIHTTP = DHCPClientArchitecture(rawValue: 18)
    public static let arm64UEFIHTTP = DHCPClientArchitecture(rawValue: 19)
    public static let biosHTTP = DHCPClientArchitecture(rawValue: 20)
    public static let riscv64UEFI = DHCPClientArchitecture(rawValue: 27)
    public static let riscv64UEFIHTTP = DHCPClientArchitecture(rawValue: 28)

    /// UEFI HTTP boot clients (they expect an `http://` URL as the boot file).
    public var isHTTPBoot: Bool { [15, 16, 17, 18, 19, 20, 23, 24, 26, 28, 30].contains(rawValue) }

    public var description: String { String(rawValue) }
}

/// Client network interface identifier, option 94 (RFC 4578 §2.2): type (1 = UNDI) and the
/// UNDI major and minor revision.
public struct DHCPClientNetworkInterface: Hashable, Sendable {
    public var type: UInt8
    public var major: UInt8
    public var minor: UInt8
    public init(type: UInt8 = 1, major: UInt8, minor: UInt8) {
        self.type = type
        self.major = major
        self.minor = minor
    }
}

/// Client machine identifier, option 97 (RFC 4578 §2.3): type 0 and a 16-byte GUID. Other
/// types and lengths are kept as read (firmware in the wild sends odd ones), but the typed
/// read requires at least the type octet.
public struct DHCPClientMachineIdentifier: Hashable, Sendable {
    public var type: UInt8
    public var identifier: [UInt8]
    public init(type: UInt8 = 0, identifier: [UInt8]) {
        self.type = type
        self.identifier = identifier
    }
    /// The GUID in the usual text form when this is type 0 with 16 bytes (bytes as sent).
    public var guidString: String? {
        guard type == 0, identifier.count == 16 else { return nil }
        let hex = identifier.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        let groups = [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }
        return groups.joined(separator: "-")
    }
}

/// User class, option 77 (RFC 3004). Clients disagree on the format: RFC 3004 wants a list of
/// length-prefixed class names, iPXE and Windows send one bare string. Kept raw, with both views.
public struct DHCPUserClass: Hashable, Sendable {
    public var raw: [UInt8]
    public init(raw: [UInt8]) { self.raw = raw }
    public init(text: String) { raw = Array(text.utf8) }

    /// The class names when `raw` is a well-formed RFC 3004 list (each length ≥ 1), else nil.
    public var rfc3004Classes: [[UInt8]]? {
        var classes: [[UInt8]] = []
        var index = 0
        while index < raw.count {
            let length = Int(raw[index])
            guard length > 0, index + 1 + length <= raw.count else { return nil }
            classes.append(Array(raw[(index + 1)..<(index + 1 + length)]))
            index += 1 + length
        }
        return classes.isEmpty ? nil : classes
    }

    /// The bytes as UTF-8 text (the iPXE form, `iPXE`), nil when not UTF-8.
    public var text: String? { String(strictUTF8: raw) }
}
