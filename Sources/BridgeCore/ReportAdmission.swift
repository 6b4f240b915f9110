import Crypto
import Foundation

/// What to do with a client report whose `(client, sequence)` may already be stored: the one
/// deduplication rule every store backend calls (DESIGN §9 "Store protocols first"). A client
/// that lost our 202 sends the same report again with the same sequence number; it gets its
/// acknowledgement again and nothing is stored twice.
public enum ReportAdmission: Equatable, Sendable {
    /// New: store it (and queue it for the upstream).
    case store
    /// The same report again: acknowledge, store nothing.
    case duplicate
    /// The sequence number was used for a different report: 409, store nothing.
    case conflict

    /// `stored` is the digest already kept for the report's `(client, sequence)`, if any.
    public static func decide(stored: ReportDigest?, incoming: ReportDigest) -> ReportAdmission {
        guard let stored else { return .store }
        return stored == incoming ? .duplicate : .conflict
    }
}

extension ClientReport {
    public var digest: ReportDigest { ReportDigest(canonical: canonicalJSON) }
}

/// SHA-256 of a report's canonical JSON (kind and data, keys sorted), hex.
public struct ReportDigest: Hashable, Sendable, Codable {
    public let hex: String

    public init(hex: String) { self.hex = hex }

    public init(canonical bytes: Data) {
        hex = Hex.lowercase(SHA256.hash(data: bytes))
    }
}
