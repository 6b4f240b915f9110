import NetbootWire

/// Who a lease belongs to: the client identifier of RFC 2132 §9.14 (option 61) when the client
/// sends one, else the hardware type and `chaddr` (RFC 2131 §4.2: "the combination of
/// 'client identifier' or 'chaddr' and assigned network address constitute a unique identifier
/// for the client's lease").
///
/// Without option 61 an Ethernet client is keyed as `01 <mac>`, the form RFC 2132 recommends
/// for option 61 itself, so a client that starts or stops sending `61 = 01:<mac>` keeps its lease.
public struct DHCPClientID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Option 61 if present and non-empty, else hardware type 1 (Ethernet) and `chaddr`.
    public init(clientIdentifier: [UInt8]?, chaddr: MACAddress) {
        if let identifier = clientIdentifier, !identifier.isEmpty {
            bytes = identifier
        } else {
            bytes = [1] + chaddr.bytes
        }
    }

    /// Lower-case hex pairs joined by `:`.
    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}
