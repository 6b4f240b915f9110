/// A read or write request: file name, mode and options (RFC 1350 §5, RFC 2347 §2).
///
/// ```
///  2 bytes   string   1 byte  string  1 byte  string  1 byte  string  1 byte
/// | opcode | filename |  0  |  mode  |  0  |  opt1  |  0  | value1 |  0  | …
/// ```
public struct TFTPRequest: Hashable, Sendable {
    /// The file name as sent. Bytes that are not UTF-8 become U+FFFD (path mapping refuses them).
    public var filename: String
    public var mode: TFTPMode
    /// Options in wire order, duplicates included.
    public var options: [TFTPOption]

    public init(filename: String, mode: TFTPMode = .octet, options: [TFTPOption] = []) {
        self.filename = filename
        self.mode = mode
        self.options = options
    }
}

/// A TFTP packet (RFC 1350, 2347). Decoding never traps: every bad input is a ``WireError``.
///
/// Strings must end in NUL (`.badString`), packets shorter than their fixed fields are
/// `.truncated`, opcodes other than 1–6 are `.unknownType`. An option name must be non-empty;
/// trailing NUL padding after the last option is tolerated (some firmware pads requests).
public enum TFTPPacket: Hashable, Sendable {
    /// RRQ (opcode 1).
    case readRequest(TFTPRequest)
    /// WRQ (opcode 2).
    case writeRequest(TFTPRequest)
    /// DATA (opcode 3): a 16-bit block number and 0…blksize bytes.
    case data(block: UInt16, payload: [UInt8])
    /// ACK (opcode 4).
    case acknowledgement(block: UInt16)
    /// ERROR (opcode 5).
    case error(code: TFTPErrorCode, message: String)
    /// OACK (opcode 6, RFC 2347): the options the server accepted.
    case optionAcknowledgement([TFTPOption])

    /// The size of the DATA header (opcode and block number).
    public static let dataHeaderLength = 4

    /// The DATA header for `block` as one big-endian 32-bit word, for shells that write the
    /// header straight into their send buffer and append file bytes after it.
    public static func dataHeaderWord(block: UInt16) -> UInt32 {
        UInt32(TFTPOpcode.data.rawValue) << 16 | UInt32(block)
    }

    public var opcode: TFTPOpcode {
        switch self {
        case .readRequest: .readRequest
        case .writeRequest: .writeRequest
        case .data: .data
        case .acknowledgement: .acknowledgement
        case .error: .error
        case .optionAcknowledgement: .optionAcknowledgement
        }
    }

    // MARK: decoding

    public init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let opcode = TFTPOpcode(try reader.readUInt16("opcode"))
        switch opcode {
        case .readRequest:
            self = .readRequest(try Self.decodeRequest(&reader))
        case .writeRequest:
            self = .writeRequest(try Self.decodeRequest(&reader))
        case .data:
            let block = try reader.readUInt16("DATA block")
            self = .data(block: block, payload: reader.readRemaining())
        case .acknowledgement:
            let block = try reader.readUInt16("ACK block")
            guard reader.isAtEnd else {
                throw WireError(.badLength, at: reader.offset, "ACK: \(reader.remaining) bytes after the block number")
            }
            self = .acknowledgement(block: block)
        case .error:
            let code = TFTPErrorCode(try reader.readUInt16("ERROR code"))
            let message = try reader.readNULTerminated("ERROR message")
            self = .error(code: code, message: String(decoding: message, as: UTF8.self))
        case .optionAcknowledgement:
            self = .optionAcknowledgement(try Self.decodeOptions(&reader))
        default:
            throw WireError(.unknownType, at: 0, "TFTP \(opcode)")
        }
    }

    private static func decodeRequest(_ reader: inout ByteReader) throws(WireError) -> TFTPRequest {
        let filename = try reader.readNULTerminated("filename")
        let mode = try reader.readNULTerminated("mode")
        let options = try decodeOptions(&reader)
        return TFTPRequest(filename: String(decoding: filename, as: UTF8.self),
                           mode: TFTPMode(rawValue: String(decoding: mode, as: UTF8.self)),
                           options: options)
    }

    private static func decodeOptions(_ reader: inout ByteReader) throws(WireError) -> [TFTPOption] {
        var options: [TFTPOption] = []
        while !reader.isAtEnd {
            if reader.peek() == 0, isAllZero(reader) { break }
            let start = reader.offset
            let name = try reader.readNULTerminated("option name")
            guard !name.isEmpty else { throw WireError(.badValue, at: start, "empty option name") }
            let value = try reader.readNULTerminated("value of option \(String(decoding: name, as: UTF8.self))")
            options.append(TFTPOption(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return options
    }

    private static func isAllZero(_ reader: ByteReader) -> Bool {
        var ahead = 0
        while let byte = reader.peek(ahead: ahead) {
            if byte != 0 { return false }
            ahead += 1
        }
        return true
    }

    // MARK: encoding

    public func encode(into writer: inout ByteWriter) {
        writer.writeUInt16(opcode.rawValue)
        switch self {
        case .readRequest(let request), .writeRequest(let request):
            writeString(request.filename, into: &writer)
            writeString(request.mode.rawValue, into: &writer)
            writeOptions(request.options, into: &writer)
        case .data(let block, let payload):
            writer.writeUInt16(block)
            writer.writeBytes(payload)
        case .acknowledgement(let block):
            writer.writeUInt16(block)
        case .error(let code, let message):
            writer.writeUInt16(code.rawValue)
            writeString(message, into: &writer)
        case .optionAcknowledgement(let options):
            writeOptions(options, into: &writer)
        }
    }

    /// The packet's bytes.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        encode(into: &writer)
        return writer.bytes
    }

    private func writeString(_ text: String, into writer: inout ByteWriter) {
        // A NUL inside the text would end the field early; cut there so the packet stays well-formed.
        writer.writeBytes(text.utf8.prefix(while: { $0 != 0 }))
        writer.writeUInt8(0)
    }

    private func writeOptions(_ options: [TFTPOption], into writer: inout ByteWriter) {
        for option in options {
            writeString(option.name, into: &writer)
            writeString(option.value, into: &writer)
        }
    }
}
