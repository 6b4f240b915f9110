import Crypto
import Foundation

/// `POST /v1/escrow` on the client port: a machine escrows a secret of its own — the seed's
/// FileVault recovery key (seed-catalog P16, P29 and C32: "FileVault Key Administrators" read
/// them back). `kind` names the secret (`filevault-recovery-key`, `firmware-password`, …), so
/// one machine may escrow several; escrowing a kind again keeps the older secret too (the seed
/// never deletes FileVault records, L2895-2896).
public struct EscrowRequest: Equatable, Sendable {
    public static let maxSecretBytes = 4096

    public var kind: String
    public var secret: String

    public init(kind: String, secret: String) {
        self.kind = kind
        self.secret = secret
    }

    /// The body `{"kind", "secret"}`. Errors name the field, never the secret's text.
    public static func decode(_ body: Data) throws(RequestBodyError) -> EscrowRequest {
        var fields = try RequestFields.object(body)
        let kind = try fields.requiredString("kind", maxLength: 64)
        guard kind.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F }) else {
            throw RequestBodyError(field: "kind", problem: "expected lowercase letters, digits, '-', '.' or '_'")
        }
        let secret = try fields.requiredString("secret", maxLength: maxSecretBytes)
        guard !secret.isEmpty else { throw RequestBodyError(field: "secret", problem: "empty") }
        try fields.finish()
        return EscrowRequest(kind: kind, secret: secret)
    }
}

/// Seals escrowed secrets for the store (AES-256-GCM) and opens them again: `bridge.sqlite`
/// holds only the sealed box, so a copy of the database (a backup, a support bundle) reveals no
/// secret without the key, which the bridge keeps in a file of its own
/// (`state-dir/bridge-escrow.key`). The device's MAC and the secret's kind are the box's
/// authenticated data: a sealed secret moved to another device's row does not open.
public struct EscrowSeal: Sendable {
    public static let keyBytes = 32
    /// The key's bytes (swift-crypto's `SymmetricKey` is not `Sendable`; one is made per use).
    private let keyBytes: Data

    /// `key` must be 32 bytes (AES-256).
    public init?(key: Data) {
        guard key.count == Self.keyBytes else { return nil }
        keyBytes = key
    }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A new random key's bytes.
    public static func newKey() -> Data {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }

    /// Nonce, ciphertext and tag, in that order (`AES.GCM.SealedBox.combined`).
    public func seal(_ secret: String, mac: String, kind: String) throws -> Data {
        let box = try AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Self.context(mac: mac, kind: kind))
        guard let combined = box.combined else { throw SealFailed() }
        return combined
    }

    /// The secret, or nil when the box was not sealed with this key for this device and kind.
    public func open(_ sealed: Data, mac: String, kind: String) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Self.context(mac: mac, kind: kind)) else { return nil }
        return String(validating: plain, as: UTF8.self)
    }

    static func context(mac: String, kind: String) -> Data { Data("netboot-escrow-v1\u{0}\(mac)\u{0}\(kind)".utf8) }

    struct SealFailed: Error {}
}
