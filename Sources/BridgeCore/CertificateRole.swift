import Crypto
import Foundation

/// The role a client certificate speaks for under mutual TLS (seed-catalog C31: PKI
/// integration; docs/bridge.md, "Mutual TLS"): the certificate, already verified against
/// `bridge.client-ca` by the TLS layer, names its role in its subject's Organizational Unit
/// (`OU=administrator`). Exactly one console role must be named; none, several, or a machine
/// role gives no identity (401). Pure: the subject's values in, a record out.
public enum CertificateRole {
    public static func role(organizationalUnits: [String]) -> BridgeRole? {
        let roles = Set(organizationalUnits.compactMap { BridgeRole(rawValue: $0) }.filter(\.isConsole))
        return roles.count == 1 ? roles.first : nil
    }

    /// The caller as the role middleware sees it: a token record whose digest is the SHA-256 of
    /// the certificate's DER (its id is the fingerprint's first 12 hex digits, in the audit log).
    public static func record(der: [UInt8], commonName: String?, organizationalUnits: [String], now: Date) -> TokenRecord? {
        guard let role = role(organizationalUnits: organizationalUnits) else { return nil }
        let hex = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
        return TokenRecord(digest: TokenDigest(hex: hex), role: role, label: "certificate \(commonName ?? "")", createdAt: now)
    }
}
