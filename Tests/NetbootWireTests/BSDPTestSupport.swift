import Foundation
@testable import NetbootWire

/// Bytes from hex written as `01:01:…`, `01 01 …` or `0101…` (case-insensitive).
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { $0.isHexDigit }
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2, limitedBy: digits.endIndex) ?? digits.endIndex
        out.append(UInt8(digits[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

/// The WireError thrown by `body`, or nil when it succeeded.
func wireError<T>(_ body: () throws(WireError) -> T) -> WireError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// Offsets at which a TLV run of sub-options ends (0 included), walking `bytes` as one
/// option-43 instance. Used to know which truncated prefixes are still well formed.
func subOptionBoundaries(_ bytes: [UInt8]) -> Set<Int> {
    var boundaries: Set<Int> = [0]
    var offset = 0
    while offset + 1 < bytes.count {
        offset += 2 + Int(bytes[offset + 1])
        boundaries.insert(offset)
    }
    return boundaries
}

/// Lowercase hex without separators, as tshark's PDML `value` attributes print bytes.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()
}

extension Tshark {
    /// Writes `frames` to a temporary pcap and returns tshark's PDML fields per packet and its
    /// `-V` text; the file is removed afterwards.
    static func decode(_ frames: [[UInt8]]) throws -> (packets: [[Field]], verbose: String) {
        let file = try writePcap(frames)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        return (try pdml(file), try verbose(file))
    }
}
