/// How an option's data is laid out, as RFC 2132 and its successors define each option (the
/// types of Kea's option definitions: `ipv4-address`, `string`, `uint8`…, `binary`).
public enum DHCPOptionValueType: String, Hashable, Sendable, CaseIterable {
    /// One address, four bytes.
    case ipv4
    /// One or more addresses, four bytes each.
    case ipv4List = "ipv4-list"
    /// UTF-8 text, at least one byte.
    case string
    case uint8, uint16, uint32, int32
    /// One or more 16-bit values (RFC 2132 §4.6 path MTU plateau table).
    case uint16List = "uint16-list"
    /// One byte, 0 or 1.
    case bool
    /// Raw bytes written as hex (`0a0b0c`, `0a:0b:0c`, `0x0a0b0c`).
    case binary
    /// Domain names in RFC 1035 §3.1 label form, one after another (RFC 3397 domain search),
    /// uncompressed.
    case fqdnList = "fqdn-list"

    /// True when a value is a list (a YAML list, or text with commas).
    public var isList: Bool { self == .ipv4List || self == .uint16List || self == .fqdnList }
}

/// Why a value does not fit its option's type; the configuration reader adds where it was written.
public enum DHCPOptionValueError: Error, Hashable, Sendable, CustomStringConvertible {
    case wrongType(value: String, expected: String)
    case outOfRange(value: String, range: String)
    case count(found: Int, expected: String)
    case tooLong(Int)

    public var description: String {
        switch self {
        case .wrongType(let value, let expected): "'\(value)' is not \(expected)"
        case .outOfRange(let value, let range): "\(value) is out of range \(range)"
        case .count(let found, let expected): "expected \(expected), found \(found) values"
        case .tooLong(let count): "\(count) bytes is longer than an option can carry (1020 with RFC 3396 splitting here)"
        }
    }
}

/// One DHCP option's definition: code, name and value type (RFC 2132 and the IANA registry,
/// named as Kea names them so a Kea `option-data` entry reads the same here).
///
/// ``standard`` is the table; ``encode(_:)`` turns the values as an admin writes them into the
/// option's bytes, or says which value is wrong. Pure; never traps.
public struct DHCPOptionDefinition: Hashable, Sendable {
    public var code: DHCPOptionCode
    public var name: String
    public var type: DHCPOptionValueType

    public init(code: DHCPOptionCode, name: String, type: DHCPOptionValueType) {
        self.code = code
        self.name = name
        self.type = type
    }

    /// The most bytes one configured option may hold (four RFC 3396 instances).
    public static let maximumDataLength = 1020

    /// Codes the server itself owns in every reply: `option-data` may not set them (the subnet
    /// mask comes from the subnet, lease times from `lease-time`, identifiers from the protocol).
    public static let serverOwned: Set<UInt8> = [0, 1, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 82, 255]

    /// The definition for a code, or a `binary` one (hex) for a code not in the table.
    public static func definition(for code: DHCPOptionCode) -> DHCPOptionDefinition {
        byCode[code.rawValue] ?? DHCPOptionDefinition(code: code, name: "option-\(code.rawValue)", type: .binary)
    }

    /// The definition named `name` (Kea's name), nil when there is none.
    public static func definition(named name: String) -> DHCPOptionDefinition? { byName[name] }

    /// Every name, for did-you-mean.
    public static var names: [String] { standard.map(\.name) }

    /// Encodes `values`: one value for a scalar type, one or more for a list type. For a list
    /// type a single text value is split at commas (Kea's CSV form).
    public func encode(_ values: [String]) throws(DHCPOptionValueError) -> [UInt8] {
        var items = values
        if type.isList, items.count == 1 {
            items = items[0].split(separator: ",", omittingEmptySubsequences: false).map { Self.trim($0) }
        } else if type != .string {
            items = items.map { Self.trim(Substring($0)) }
        }
        if type.isList {
            guard !items.isEmpty, !(items.count == 1 && items[0].isEmpty) else { throw .count(found: 0, expected: "at least one value") }
        } else if items.count != 1 {
            throw .count(found: items.count, expected: "one value")
        }
        var bytes: [UInt8] = []
        for item in items { bytes += try encodeOne(item) }
        guard bytes.count <= Self.maximumDataLength else { throw .tooLong(bytes.count) }
        return bytes
    }

    private func encodeOne(_ text: String) throws(DHCPOptionValueError) -> [UInt8] {
        switch type {
        case .ipv4, .ipv4List:
            guard let address = IPv4Address(text) else { throw .wrongType(value: text, expected: "an IPv4 address (a.b.c.d)") }
            return address.bytes
        case .string:
            guard !text.isEmpty else { throw .wrongType(value: text, expected: "a non-empty string") }
            return Array(text.utf8)
        case .uint8:
            return [UInt8(try Self.integer(text, in: 0...255, "0-255"))]
        case .uint16, .uint16List:
            let value = UInt16(try Self.integer(text, in: 0...65535, "0-65535"))
            return [UInt8(value >> 8), UInt8(value & 0xff)]
        case .uint32:
            let value = UInt32(try Self.integer(text, in: 0...4_294_967_295, "0-4294967295"))
            return Self.bigEndian(value)
        case .int32:
            let value = Int32(try Self.integer(text, in: -2_147_483_648...2_147_483_647, "-2147483648-2147483647"))
            return Self.bigEndian(UInt32(bitPattern: value))
        case .bool:
            switch text.lowercased() {
            case "true", "1": return [1]
            case "false", "0": return [0]
            default: throw .wrongType(value: text, expected: "true or false")
            }
        case .binary:
            guard let bytes = Self.hex(text) else { throw .wrongType(value: text, expected: "hex bytes (0a0b0c or 0a:0b:0c)") }
            return bytes
        case .fqdnList:
            guard let bytes = Self.domainName(text) else { throw .wrongType(value: text, expected: "a domain name") }
            return bytes
        }
    }

    private static func integer(_ text: String, in range: ClosedRange<Int>, _ rangeText: String) throws(DHCPOptionValueError) -> Int {
        guard let value = Int(text) else { throw .wrongType(value: text, expected: "an integer") }
        guard range.contains(value) else { throw .outOfRange(value: text, range: rangeText) }
        return value
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    private static func trim(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// Hex bytes, with optional `0x` and `:`/`-`/space separators; nil for anything else or nothing.
    public static func hex(_ text: String) -> [UInt8]? {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        let nibbles = digits.filter { $0 != ":" && $0 != "-" && $0 != " " }.map { $0.hexDigitValue }
        guard !nibbles.isEmpty, nibbles.count % 2 == 0, nibbles.allSatisfy({ $0 != nil }) else { return nil }
        return stride(from: 0, to: nibbles.count, by: 2).map { UInt8((nibbles[$0] ?? 0) << 4 | (nibbles[$0 + 1] ?? 0)) }
    }

    /// RFC 1035 §3.1 labels: 1–63 bytes of letters, digits and hyphens each, ending with the root.
    private static func domainName(_ text: String) -> [UInt8]? {
        let name = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        var bytes: [UInt8] = []
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            let utf8 = Array(label.utf8)
            guard (1...63).contains(utf8.count),
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        return bytes + [0]
    }

    private static let byCode: [UInt8: DHCPOptionDefinition] = Dictionary(standard.map { ($0.code.rawValue, $0) },
                                                                          uniquingKeysWith: { first, _ in first })
    private static let byName: [String: DHCPOptionDefinition] = Dictionary(standard.map { ($0.name, $0) },
                                                                          uniquingKeysWith: { first, _ in first })

    /// The options an admin may set by name (RFC 2132 §3–§9, RFC 2242, 2610, 3397, 4702-era
    /// names as Kea's `std_option_defs.h` spells them). Any other code is set as `binary`.
    public static let standard: [DHCPOptionDefinition] = {
        let table: [(UInt8, String, DHCPOptionValueType)] = [
            (2, "time-offset", .int32), (3, "routers", .ipv4List), (4, "time-servers", .ipv4List),
            (5, "name-servers", .ipv4List), (6, "domain-name-servers", .ipv4List), (7, "log-servers", .ipv4List),
            (8, "cookie-servers", .ipv4List), (9, "lpr-servers", .ipv4List), (10, "impress-servers", .ipv4List),
            (11, "resource-location-servers", .ipv4List), (12, "host-name", .string), (13, "boot-size", .uint16),
            (14, "merit-dump", .string), (15, "domain-name", .string), (16, "swap-server", .ipv4),
            (17, "root-path", .string), (18, "extensions-path", .string), (19, "ip-forwarding", .bool),
            (20, "non-local-source-routing", .bool), (22, "max-dgram-reassembly", .uint16),
            (23, "default-ip-ttl", .uint8), (24, "path-mtu-aging-timeout", .uint32),
            (25, "path-mtu-plateau-table", .uint16List), (26, "interface-mtu", .uint16),
            (27, "all-subnets-local", .bool), (28, "broadcast-address", .ipv4), (29, "perform-mask-discovery", .bool),
            (30, "mask-supplier", .bool), (31, "router-discovery", .bool), (32, "router-solicitation-address", .ipv4),
            (34, "trailer-encapsulation", .bool), (35, "arp-cache-timeout", .uint32),
            (36, "ieee802-3-encapsulation", .bool), (37, "default-tcp-ttl", .uint8),
            (38, "tcp-keepalive-interval", .uint32), (39, "tcp-keepalive-garbage", .bool),
            (40, "nis-domain", .string), (41, "nis-servers", .ipv4List), (42, "ntp-servers", .ipv4List),
            (43, "vendor-encapsulated-options", .binary), (44, "netbios-name-servers", .ipv4List),
            (45, "netbios-dd-server", .ipv4List), (46, "netbios-node-type", .uint8), (47, "netbios-scope", .string),
            (48, "font-servers", .ipv4List), (49, "x-display-manager", .ipv4List),
            (60, "vendor-class-identifier", .string), (62, "nwip-domain-name", .string),
            (64, "nisplus-domain-name", .string), (65, "nisplus-servers", .ipv4List),
            (66, "tftp-server-name", .string), (67, "boot-file-name", .string),
            (68, "mobile-ip-home-agent", .ipv4List), (69, "smtp-server", .ipv4List), (70, "pop-server", .ipv4List),
            (71, "nntp-server", .ipv4List), (72, "www-server", .ipv4List), (73, "finger-server", .ipv4List),
            (74, "irc-server", .ipv4List), (75, "streettalk-server", .ipv4List),
            (76, "streettalk-directory-assistance-server", .ipv4List), (114, "v4-captive-portal", .string),
            (119, "domain-search", .fqdnList), (150, "tftp-server-address", .ipv4List),
        ]
        return table.map { DHCPOptionDefinition(code: DHCPOptionCode($0.0), name: $0.1, type: $0.2) }
    }()
}

/// One configured option value (`option-data` entry): the code, its encoded data, and whether
/// it is sent even when the client's parameter request list (option 55) does not name it
/// (Kea's `always-send`).
public struct DHCPOptionData: Hashable, Sendable {
    public var code: DHCPOptionCode
    public var data: [UInt8]
    public var alwaysSend: Bool

    public init(code: DHCPOptionCode, data: [UInt8], alwaysSend: Bool = false) {
        self.code = code
        self.data = data
        self.alwaysSend = alwaysSend
    }
}
