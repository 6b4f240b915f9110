import BridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// Makes a token of `role` and stores its digest. The returned ``BridgeToken`` is the only
    /// copy of its text: the caller shows it once.
    public func issueToken(role: BridgeRole, label: String, ttl: TimeInterval?, now: Date,
                           deviceMAC: String? = nil) throws -> (token: BridgeToken, record: TokenRecord) {
        try database.write { db in try Self.issueToken(db, role: role, label: label, ttl: ttl, now: now, deviceMAC: deviceMAC) }
    }

    static func issueToken(_ db: Database, role: BridgeRole, label: String, ttl: TimeInterval?, now: Date,
                           deviceMAC: String?) throws -> (token: BridgeToken, record: TokenRecord) {
        let token = BridgeToken.generate()
        let record = TokenRecord(digest: token.digest, role: role, label: label, createdAt: now,
                                 expiresAt: ttl.map { now.addingTimeInterval($0) }, deviceMAC: deviceMAC)
        try db.execute(sql: """
            INSERT INTO token (digest, role, label, created_at, expires_at, device_mac) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [record.digest.hex, role.rawValue, label, now.timeIntervalSince1970,
                             record.expiresAt?.timeIntervalSince1970, deviceMAC])
        return (token, record)
    }

    /// The label of the enrollment tokens minted into iPXE scripts (docs/pxe.md, "Enrollment
    /// token in the boot script"): `boot MAC`.
    public static func bootTokenLabel(mac: String) -> String { "boot \(mac)" }

    /// Mints the one-time enrollment token an iPXE script for `mac` carries: role enrollment,
    /// bound to `mac` (``enroll(_:with:now:relay:)`` refuses it for another machine), expiring
    /// after `ttl`. In the same transaction it deletes `mac`'s earlier boot tokens that were never
    /// used and every boot token that expired unused, so repeated script fetches keep at most
    /// one live boot token per machine.
    public func issueBootToken(mac: String, ttl: TimeInterval, now: Date) throws -> BridgeToken {
        try database.write { db in
            try db.execute(sql: """
                DELETE FROM token WHERE role = ? AND used_at IS NULL AND label LIKE 'boot %'
                    AND ((device_mac = ? AND label = ?) OR expires_at <= ?)
                """, arguments: [BridgeRole.enrollment.rawValue, mac, Self.bootTokenLabel(mac: mac), now.timeIntervalSince1970])
            return try Self.issueToken(db, role: .enrollment, label: Self.bootTokenLabel(mac: mac), ttl: ttl, now: now,
                                       deviceMAC: mac).token
        }
    }

    /// The record with `digest`, whatever its state (the caller applies ``TokenCheck``).
    public func token(digest: TokenDigest) throws -> TokenRecord? {
        try database.read { db in try Self.token(db, digest: digest) }
    }

    static func token(_ db: Database, digest: TokenDigest) throws -> TokenRecord? {
        // Cached: every call of both ports looks its token up; compiled once per connection.
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM token WHERE digest = ?"), arguments: [digest.hex]).flatMap(tokenRecord)
    }

    /// Every token, newest first.
    public func tokens() throws -> [TokenRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM token ORDER BY created_at DESC, digest").compactMap(Self.tokenRecord)
        }
    }

    /// Revokes the token whose public id (the digest's first 12 hex digits) is `id`. Returns it,
    /// or nil when no token has that id. Revoking twice keeps the first time.
    public func revokeToken(id: String, now: Date) throws -> TokenRecord? {
        guard let id = BridgeRecordRules.revocationID(id) else { return nil }
        return try database.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM token WHERE substr(digest, 1, 12) = ?", arguments: [id])
            guard rows.count == 1, let record = Self.tokenRecord(rows[0]) else { return nil }
            try db.execute(sql: "UPDATE token SET revoked_at = coalesce(revoked_at, ?) WHERE digest = ?",
                           arguments: [now.timeIntervalSince1970, record.digest.hex])
            return try Self.token(db, digest: record.digest)
        }
    }

    static func tokenRecord(_ row: Row) -> TokenRecord? {
        guard let role = BridgeRole(rawValue: row["role"]) else { return nil }
        return TokenRecord(digest: TokenDigest(hex: row["digest"]), role: role, label: row["label"],
                           createdAt: Date(timeIntervalSince1970: row["created_at"]),
                           expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                           usedAt: (row["used_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                           revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                           deviceMAC: row["device_mac"])
    }
}
