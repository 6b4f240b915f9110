/// A 48-bit IEEE 802 MAC address (the DHCP `chaddr` of an Ethernet client, `htype` 1, `hlen` 6).
///
/// Text forms accepted: six hex pairs separated by `:` or `-`, or twelve bare hex digits;
/// printed as lowercase `aa:bb:cc:dd:ee:ff`.
public struct MACAddress: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The address in the low 48 bits.
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    /// From exactly six bytes; nil otherwise.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 6 else { return nil }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        rawValue = value
    }

    public init?(_ text: String) {
        var digits = Array(text.utf8)
        if digits.count == 17 {
            let separator = digits[2]
            guard separator == UInt8(ascii: ":") || separator == UInt8(ascii: "-") else { return nil }
            for index in stride(from: 2, to: 17, by: 3) where digits[index] != separator { return nil }
            digits = digits.enumerated().filter { ($0.offset + 1) % 3 != 0 }.map(\.element)
        }
        guard digits.count == 12 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard let nibble = MACAddress.hexValue(digit) else { return nil }
            value = value << 4 | UInt64(nibble)
        }
        rawValue = value
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)

    public var bytes: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> UInt64(40 - 8 * $0)) }
    }

    /// `aa:bb:cc:dd:ee:ff`, lower case: written into one 17-byte string (every DHCP log line
    /// and boot event names a client's MAC, so this runs several times per exchange).
    public var description: String {
        String(unsafeUninitializedCapacity: 17) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for index in 0..<6 {
                let byte = Int(truncatingIfNeeded: rawValue >> UInt64(40 - 8 * index)) & 0xFF
                if index > 0 { buffer[3 * index - 1] = UInt8(ascii: ":") }
                buffer[3 * index] = digits.utf8Start[byte >> 4]
                buffer[3 * index + 1] = digits.utf8Start[byte & 0xF]
            }
            return 17
        }
    }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = MACAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a MAC address: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
