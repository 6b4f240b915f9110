import Crypto
import Foundation

/// A bearer token as handed to its holder: `nbt_` and 43 base64url characters (32 random
/// bytes). It is shown once, when issued; the store keeps only its ``TokenDigest``.
///
/// 256 random bits cannot be guessed, so an unsalted SHA-256 is enough to make a stolen
/// database useless for calling the bridge (the seed keeps its secrets out of reach the same way,
/// DESIGN §6).
public struct BridgeToken: Sendable, CustomStringConvertible {
    public static let prefix = "nbt_"
    /// The secret text. Never logged: ``description`` is `***`.
    public let text: String

    /// Draws a new token from `generator` (the system's CSPRNG unless a test passes its own).
    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> BridgeToken {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        return BridgeToken(uncheckedText: prefix + Base64URL.encode(bytes))
    }

    public static func generate() -> BridgeToken {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A token as presented by a caller, if it has the token's shape (nil otherwise: 401).
    public init?(presented text: some StringProtocol) {
        guard text.utf8.count == BridgeToken.prefix.utf8.count + 43, text.hasPrefix(BridgeToken.prefix),
              text.utf8.dropFirst(BridgeToken.prefix.utf8.count).allSatisfy(Base64URL.isAlphabet) else { return nil }
        self.text = String(text)
    }

    private init(uncheckedText: String) { text = uncheckedText }

    public var digest: TokenDigest { TokenDigest(of: text) }
    public var description: String { "***" }
}

/// The SHA-256 of a token's text, lowercase hex: what the store keeps and looks tokens up by.
/// Its first 12 hex digits are the token's public id (`netboot tokens list|revoke`).
public struct TokenDigest: Hashable, Sendable, Codable, CustomStringConvertible {
    public let hex: String

    public init(of text: String) {
        hex = Hex.lowercase(SHA256.hash(data: Data(text.utf8)))
    }

    public init(hex: String) { self.hex = hex }

    /// The public id: the first 12 hex digits.
    public var id: String { String(hex.prefix(12)) }
    public var description: String { id }
}

/// base64url without padding (RFC 4648 §5).
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }
}
