/// netascii conversion (RFC 1350 §1 and RFC 764's NVT): a line end travels as CR LF and a bare
/// CR as CR NUL. The local convention is Unix: a line end is LF.
public enum Netascii {
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A

    /// Local bytes → netascii: LF → CR LF, CR → CR NUL.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount + bytes.underestimatedCount / 16)
        for byte in bytes {
            switch byte {
            case lf: out.append(cr); out.append(lf)
            case cr: out.append(cr); out.append(0)
            default: out.append(byte)
            }
        }
        return out
    }

    /// The length of `encode(bytes)` without building it.
    public static func encodedLength<Bytes: Sequence>(_ bytes: Bytes) -> Int where Bytes.Element == UInt8 {
        var count = 0
        for byte in bytes { count += (byte == lf || byte == cr) ? 2 : 1 }
        return count
    }

    /// A streaming netascii → local decoder: CR LF → LF, CR NUL → CR. A CR followed by anything
    /// else is kept as it is (lenient). A CR at the end of one chunk waits for the next.
    public struct Decoder: Sendable {
        private var pendingCR = false

        public init() {}

        public mutating func decode<Bytes: Sequence>(_ chunk: Bytes, into out: inout [UInt8]) where Bytes.Element == UInt8 {
            for byte in chunk {
                if pendingCR {
                    pendingCR = false
                    switch byte {
                    case Netascii.lf: out.append(Netascii.lf)
                    case 0: out.append(Netascii.cr)
                    case Netascii.cr: out.append(Netascii.cr); pendingCR = true
                    default: out.append(Netascii.cr); out.append(byte)
                    }
                } else if byte == Netascii.cr {
                    pendingCR = true
                } else {
                    out.append(byte)
                }
            }
        }

        /// Flushes a trailing lone CR at the end of the transfer.
        public mutating func finish(into out: inout [UInt8]) {
            if pendingCR { out.append(Netascii.cr) }
            pendingCR = false
        }
    }

    /// Whole-buffer decoding.
    public static func decode<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var decoder = Decoder()
        var out: [UInt8] = []
        decoder.decode(bytes, into: &out)
        decoder.finish(into: &out)
        return out
    }
}
