/// The SHA-256 of a captured image's raw content, carried at the end of its zstd stream as a
/// skippable frame (RFC 8878 §3.1.2), so that a capture streamed to the bridge in one request
/// declares its digest when it is known — after the last byte — and the stored file stays a
/// valid zstd file (decoders, `zstd -d` included, skip the frame).
///
/// Layout, 48 bytes: magic `0x184D2A5E` and frame size `40` (both 32-bit little-endian), then
/// `NBSHA256` and the 32 digest bytes.
public enum CaptureDigestFrame {
    public static let length = 48
    static let magic: [UInt8] = [0x5E, 0x2A, 0x4D, 0x18]
    static let size: [UInt8] = [40, 0, 0, 0]
    static let tag = Array("NBSHA256".utf8)

    /// The frame for a digest of 64 hex digits; nil for anything else.
    public static func encode(sha256 hex: String) -> [UInt8]? {
        let digits = Array(hex.lowercased().utf8)
        guard digits.count == 64 else { return nil }
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            digest.append(high << 4 | low)
            index += 2
        }
        return magic + size + tag + digest
    }

    /// The digest (lowercase hex) when `tail` — the last bytes of a stream — ends with the frame.
    public static func parse(_ tail: [UInt8]) -> String? {
        guard tail.count >= length else { return nil }
        let frame = tail.suffix(length)
        guard frame.prefix(16).elementsEqual(magic + size + tag) else { return nil }
        let hex: [Character] = Array("0123456789abcdef")
        return String(frame.suffix(32).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] })
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
