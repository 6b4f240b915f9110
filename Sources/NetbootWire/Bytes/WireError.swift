/// A decoding failure. Every codec in `NetbootWire` reports bad input with this one type,
/// never with a trap: the kind says what went wrong, `offset` where in the buffer, and
/// `context` which field or option was being read (for logs and the drop counters).
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// The buffer ended before the field did.
        case truncated
        /// A length field points past the end of its container (option, sub-option, packet).
        case overrun
        /// A fixed-length field or option carried another length.
        case badLength
        /// A field holds a value the protocol does not allow.
        case badValue
        /// A string is missing its NUL terminator, or is not valid text.
        case badString
        /// A type or opcode the codec does not know.
        case unknownType
        /// An encoded message would not fit its size budget (a maximum size or a fixed field).
        case tooLarge
    }

    public var kind: Kind
    public var offset: Int
    public var context: String

    public init(_ kind: Kind, at offset: Int, _ context: String) {
        self.kind = kind
        self.offset = offset
        self.context = context
    }

    public var description: String { "\(kind.rawValue) at byte \(offset): \(context)" }
}
