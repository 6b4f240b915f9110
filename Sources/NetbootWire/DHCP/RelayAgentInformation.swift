/// Relay agent information, option 82 (RFC 3046): an ordered list of sub-options, kept as
/// sent so a server can echo it back unchanged (RFC 3046 §2.2).
public struct RelayAgentInformation: Hashable, Sendable {
    /// A relay agent sub-option code (IANA "DHCP Relay Agent Sub-Option Codes"); an open set.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// RFC 3046 §3.1.
        public static let circuitID = Code(rawValue: 1)
        /// RFC 3046 §3.2.
        public static let remoteID = Code(rawValue: 2)
        /// RFC 3527.
        public static let linkSelection = Code(rawValue: 5)
        /// RFC 3993.
        public static let subscriberID = Code(rawValue: 6)
        /// RFC 4014.
        public static let radiusAttributes = Code(rawValue: 7)
        /// RFC 4030.
        public static let authentication = Code(rawValue: 8)
        /// RFC 4243.
        public static let vendorSpecific = Code(rawValue: 9)
        /// RFC 5010.
        public static let relayAgentFlags = Code(rawValue: 10)
        /// RFC 5107.
        public static let serverIdentifierOverride = Code(rawValue: 11)
    }

    public struct SubOption: Hashable, Sendable {
        public var code: Code
        public var data: [UInt8]
        public init(_ code: Code, _ data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    public var subOptions: [SubOption]

    public init(_ subOptions: [SubOption]) { self.subOptions = subOptions }

    /// The data of the first sub-option with `code`.
    public subscript(code: Code) -> [UInt8]? {
        subOptions.first { $0.code == code }?.data
    }

    public var circuitID: [UInt8]? { self[.circuitID] }
    public var remoteID: [UInt8]? { self[.remoteID] }

    /// Decodes the option data; a sub-option running past the option is `.overrun`.
    public init(decoding data: [UInt8]) throws(WireError) {
        let list = try DHCPSubOption.decodeList(data, option: .relayAgentInformation)
        subOptions = list.map { SubOption(Code(rawValue: $0.code), $0.data) }
    }

    /// The option data; sub-options longer than 255 bytes are `.tooLarge`.
    public func encoded() throws(WireError) -> [UInt8] {
        try DHCPSubOption.encodeList(subOptions.map { DHCPSubOption($0.code.rawValue, $0.data) },
                                     option: .relayAgentInformation)
    }
}

/// iPXE's encapsulated options, option 175 (iPXE `include/ipxe/dhcp.h` and `features.h`,
/// `DHCP_EB_*`): a list of sub-options; 0x10–0x7f announce the build's features (19 HTTP,
/// 20 HTTPS, 23 DNS, …), others are settings such as 1 (priority) or 8 (keep SAN).
public struct IPXEEncapsulatedOptions: Hashable, Sendable {
    public static let priority: UInt8 = 1
    public static let keepSAN: UInt8 = 8
    public static let skipSANBoot: UInt8 = 9
    public static let pxeExtensions: UInt8 = 16
    public static let iscsi: UInt8 = 17
    public static let aoe: UInt8 = 18
    public static let http: UInt8 = 19
    public static let https: UInt8 = 20
    public static let tftp: UInt8 = 21
    public static let ftp: UInt8 = 22
    public static let dns: UInt8 = 23
    public static let bzImage: UInt8 = 24
    public static let multiboot: UInt8 = 25
    public static let efi: UInt8 = 36
    public static let busID: UInt8 = 177
    public static let version: UInt8 = 235

    public var subOptions: [DHCPSubOption]

    public init(_ subOptions: [DHCPSubOption]) { self.subOptions = subOptions }

    public subscript(code: UInt8) -> [UInt8]? { subOptions.first { $0.code == code }?.data }

    public init(decoding data: [UInt8]) throws(WireError) {
        subOptions = try DHCPSubOption.decodeList(data, option: .ipxeEncapsulated)
    }

    public func encoded() throws(WireError) -> [UInt8] {
        try DHCPSubOption.encodeList(subOptions, option: .ipxeEncapsulated)
    }
}
