/// A TFTP opcode: the first two bytes of every packet (RFC 1350 §5; OACK from RFC 2347 §2).
///
/// An open struct rather than a closed enum so that an unknown value can be carried in an error
/// and printed; the decoder itself rejects opcodes it does not know.
public struct TFTPOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// RRQ, read request (RFC 1350).
    public static let readRequest = TFTPOpcode(1)
    /// WRQ, write request (RFC 1350).
    public static let writeRequest = TFTPOpcode(2)
    /// DATA (RFC 1350).
    public static let data = TFTPOpcode(3)
    /// ACK (RFC 1350).
    public static let acknowledgement = TFTPOpcode(4)
    /// ERROR (RFC 1350).
    public static let error = TFTPOpcode(5)
    /// OACK, option acknowledgement (RFC 2347).
    public static let optionAcknowledgement = TFTPOpcode(6)

    public var description: String {
        switch rawValue {
        case 1: "RRQ"
        case 2: "WRQ"
        case 3: "DATA"
        case 4: "ACK"
        case 5: "ERROR"
        case 6: "OACK"
        default: "opcode \(rawValue)"
        }
    }
}

/// A TFTP error code (RFC 1350 appendix; 8 from RFC 2347). Unknown codes round-trip.
public struct TFTPErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// 0: not defined, see the error message.
    public static let notDefined = TFTPErrorCode(0)
    /// 1: file not found.
    public static let fileNotFound = TFTPErrorCode(1)
    /// 2: access violation.
    public static let accessViolation = TFTPErrorCode(2)
    /// 3: disk full or allocation exceeded.
    public static let diskFull = TFTPErrorCode(3)
    /// 4: illegal TFTP operation.
    public static let illegalOperation = TFTPErrorCode(4)
    /// 5: unknown transfer ID.
    public static let unknownTransferID = TFTPErrorCode(5)
    /// 6: file already exists.
    public static let fileAlreadyExists = TFTPErrorCode(6)
    /// 7: no such user.
    public static let noSuchUser = TFTPErrorCode(7)
    /// 8: option negotiation refused (RFC 2347 §3).
    public static let optionNegotiationFailed = TFTPErrorCode(8)

    public var description: String {
        switch rawValue {
        case 0: "not defined"
        case 1: "file not found"
        case 2: "access violation"
        case 3: "disk full or allocation exceeded"
        case 4: "illegal TFTP operation"
        case 5: "unknown transfer ID"
        case 6: "file already exists"
        case 7: "no such user"
        case 8: "option negotiation failed"
        default: "error \(rawValue)"
        }
    }
}
