/// One `name NUL value NUL` pair of an RRQ, WRQ or OACK (RFC 2347 §2).
///
/// `name` is kept as sent; compare with ``key`` (lowercased), because option names are
/// case-insensitive. `value` is kept as the raw string: interpreting it (and ignoring values
/// out of range) is the negotiating side's job.
public struct TFTPOption: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// The lowercased name, for case-insensitive comparison.
    public var key: String { name.lowercased() }

    public var description: String { "\(name)=\(value)" }

    /// `blksize` (RFC 2348): 8–65464 octets per DATA block.
    public static let blockSize = "blksize"
    /// `tsize` (RFC 2349): the transfer size in octets (0 in an RRQ, asking for it).
    public static let transferSize = "tsize"
    /// `timeout` (RFC 2349): the retransmission timeout in seconds, 1–255.
    public static let timeout = "timeout"
    /// `windowsize` (RFC 7440): DATA blocks sent per ACK, 1–65535.
    public static let windowSize = "windowsize"

    /// Parses a decimal option value strictly: ASCII digits only (no sign, space or hex), at most
    /// 20 digits, fitting in 64 bits. Returns nil otherwise, so the caller can ignore the option.
    public static func decimalValue(_ text: String) -> UInt64? {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}

extension Array where Element == TFTPOption {
    /// The value of the first option whose name matches `name` case-insensitively.
    public func value(of name: String) -> String? {
        let key = name.lowercased()
        return first(where: { $0.key == key })?.value
    }
}
