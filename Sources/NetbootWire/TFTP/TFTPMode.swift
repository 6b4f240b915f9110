/// The transfer mode of a request (RFC 1350 §1): `netascii`, `octet` or `mail`, compared
/// case-insensitively ("NETASCII", "Octet" are the same mode). Stored lowercased; any other
/// string decodes (the server refuses it) so that a capture decoder can still print it.
public struct TFTPMode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String

    /// Lowercases `rawValue` (RFC 1350: "any combination of upper and lower case").
    public init(rawValue: String) { self.rawValue = rawValue.lowercased() }

    /// Bytes sent as they are.
    public static let octet = TFTPMode(rawValue: "octet")
    /// 8-bit ASCII with CR LF line ends and CR NUL for a bare CR (RFC 764 NVT), see ``Netascii``.
    public static let netascii = TFTPMode(rawValue: "netascii")
    /// Obsolete (RFC 1350 §1: "should not be implemented").
    public static let mail = TFTPMode(rawValue: "mail")

    public var description: String { rawValue }
}
