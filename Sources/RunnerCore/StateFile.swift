#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TaskSequenceCore

/// The on-disk form of a `RunState`: one header line, then the JSON.
///
///     netboot-runner-state 1 <length> <fnv1a64 of the JSON, 16 hex digits>
///     {…}
///
/// The length and checksum make a truncated or damaged file fail to decode (resume is then
/// refused rather than guessing where the run was). Writing it atomically (write, fsync,
/// rename) is the shell's job; this is the pure codec.
public enum StateFile {
    public static let magic = "netboot-runner-state"
    public static let version = 1

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notAStateFile
        case unsupportedVersion(String)
        case truncated(expected: Int, found: Int)
        case checksumMismatch
        case invalidJSON(String)

        public var description: String {
            switch self {
            case .notAStateFile: return "not a netboot-runner state file (bad header)"
            case .unsupportedVersion(let version): return "state file version \(version) is not \(StateFile.version)"
            case .truncated(let expected, let found): return "state file is truncated or has trailing bytes (\(found) of \(expected) bytes)"
            case .checksumMismatch: return "state file checksum does not match (damaged)"
            case .invalidJSON(let reason): return "state file does not decode: \(reason)"
            }
        }
    }

    public static func encode(_ state: RunState) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let body = Array(try encoder.encode(state))
        let header = "\(magic) \(version) \(body.count) \(checksum(body))\n"
        return Array(header.utf8) + body + [0x0A]
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> RunState {
        guard let newline = bytes.firstIndex(of: 0x0A), newline < 200 else { throw .notAStateFile }
        let fields = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard fields.count == 4, fields[0] == magic, let length = Int(fields[2]), length >= 0 else { throw .notAStateFile }
        guard fields[1] == "\(version)" else { throw .unsupportedVersion(String(fields[1])) }
        var body = Array(bytes[(newline + 1)...])
        if body.last == 0x0A { body.removeLast() }
        guard body.count == length else { throw .truncated(expected: length, found: body.count) }
        guard checksum(body) == fields[3] else { throw .checksumMismatch }
        do {
            return try JSONDecoder().decode(RunState.self, from: Data(body))
        } catch {
            throw .invalidJSON("\(error)")
        }
    }

    /// FNV-1a 64 as 16 hex digits.
    public static func checksum(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
