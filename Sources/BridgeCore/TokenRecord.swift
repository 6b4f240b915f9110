import Foundation

/// A token as the store keeps it: its digest, never its text (docs/bridge.md, "Tokens").
public struct TokenRecord: Hashable, Sendable, Codable {
    public var digest: TokenDigest
    public var role: BridgeRole
    /// Free text from the issuer ("lab-2 imaging", an admin's name); shown in lists.
    public var label: String
    public var createdAt: Date
    /// nil: never expires.
    public var expiresAt: Date?
    /// When an enrollment token was spent (one use only).
    public var usedAt: Date?
    public var revokedAt: Date?
    /// The machine a client token belongs to.
    public var deviceMAC: String?

    public init(digest: TokenDigest, role: BridgeRole, label: String, createdAt: Date, expiresAt: Date? = nil,
                usedAt: Date? = nil, revokedAt: Date? = nil, deviceMAC: String? = nil) {
        self.digest = digest
        self.role = role
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.revokedAt = revokedAt
        self.deviceMAC = deviceMAC
    }

    public var id: String { digest.id }

    /// Whether the token is spent, revoked or expired at `now`.
    public func state(at now: Date) -> State {
        if revokedAt != nil { return .revoked }
        if usedAt != nil { return .used }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }

    public enum State: String, Sendable, Codable {
        case active, used, revoked, expired
    }
}

/// The decision for one call: the rule the role middleware applies, and the only one
/// (docs/bridge.md, "Roles"). Pure: the record looked up by the presented token's digest and
/// `now` in, a verdict out.
public enum TokenCheck {
    public enum Verdict: Equatable, Sendable {
        case allowed(TokenRecord)
        /// 401: no token, a malformed one, an unknown, expired, revoked or spent one. The
        /// response never says which.
        case unauthenticated
        /// 403: a live token whose role lacks the scope.
        case forbidden
    }

    /// `record` is nil when no token was presented or none has the digest. `required` is nil
    /// only for public routes (`/openapi.json`), which the middleware never asks about.
    public static func evaluate(_ record: TokenRecord?, requires required: BridgeScope, now: Date) -> Verdict {
        guard let record, record.state(at: now) == .active else { return .unauthenticated }
        guard record.role.scopes.contains(required) else { return .forbidden }
        return .allowed(record)
    }
}
