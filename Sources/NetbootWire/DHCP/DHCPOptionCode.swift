/// A DHCP option code (RFC 2132 §2 and the IANA "BOOTP Vendor Extensions and DHCP Options"
/// registry).
///
/// An open set: every `UInt8` is a valid code, so unknown options decode and re-encode
/// byte-exactly; the named constants cover the options this project reads or writes.
public struct DHCPOptionCode: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// RFC 2132 §3.1: a single zero byte, no length.
    public static let pad = DHCPOptionCode(0)
    /// RFC 2132 §3.3.
    public static let subnetMask = DHCPOptionCode(1)
    /// RFC 2132 §3.5.
    public static let router = DHCPOptionCode(3)
    /// RFC 2132 §3.8.
    public static let domainNameServer = DHCPOptionCode(6)
    /// RFC 2132 §3.14.
    public static let hostName = DHCPOptionCode(12)
    /// RFC 2132 §3.17.
    public static let domainName = DHCPOptionCode(15)
    /// RFC 2132 §3.19.
    public static let rootPath = DHCPOptionCode(17)
    /// RFC 2132 §5.3.
    public static let broadcastAddress = DHCPOptionCode(28)
    /// RFC 2132 §8.4: vendor-specific information (BSDP and PXE carry their sub-options here).
    public static let vendorSpecificInformation = DHCPOptionCode(43)
    /// RFC 2132 §9.1.
    public static let requestedIPAddress = DHCPOptionCode(50)
    /// RFC 2132 §9.2.
    public static let ipAddressLeaseTime = DHCPOptionCode(51)
    /// RFC 2132 §9.3: options continue in `file` and/or `sname`.
    public static let optionOverload = DHCPOptionCode(52)
    /// RFC 2132 §9.6.
    public static let messageType = DHCPOptionCode(53)
    /// RFC 2132 §9.7.
    public static let serverIdentifier = DHCPOptionCode(54)
    /// RFC 2132 §9.8.
    public static let parameterRequestList = DHCPOptionCode(55)
    /// RFC 2132 §9.9.
    public static let message = DHCPOptionCode(56)
    /// RFC 2132 §9.10.
    public static let maximumMessageSize = DHCPOptionCode(57)
    /// RFC 2132 §9.11 (T1).
    public static let renewalTime = DHCPOptionCode(58)
    /// RFC 2132 §9.12 (T2).
    public static let rebindingTime = DHCPOptionCode(59)
    /// RFC 2132 §9.13.
    public static let vendorClassIdentifier = DHCPOptionCode(60)
    /// RFC 2132 §9.14.
    public static let clientIdentifier = DHCPOptionCode(61)
    /// RFC 2132 §9.4.
    public static let tftpServerName = DHCPOptionCode(66)
    /// RFC 2132 §9.5.
    public static let bootfileName = DHCPOptionCode(67)
    /// RFC 3004.
    public static let userClass = DHCPOptionCode(77)
    /// RFC 3046.
    public static let relayAgentInformation = DHCPOptionCode(82)
    /// RFC 4578 §2.1.
    public static let clientSystemArchitecture = DHCPOptionCode(93)
    /// RFC 4578 §2.2.
    public static let clientNetworkInterfaceIdentifier = DHCPOptionCode(94)
    /// RFC 4578 §2.3.
    public static let clientMachineIdentifier = DHCPOptionCode(97)
    /// iPXE's encapsulated options (IANA: "Etherboot"; iPXE `include/ipxe/dhcp.h`).
    public static let ipxeEncapsulated = DHCPOptionCode(175)
    /// RFC 2132 §3.2: a single 255 byte ends the options.
    public static let end = DHCPOptionCode(255)

    public static func < (lhs: DHCPOptionCode, rhs: DHCPOptionCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
