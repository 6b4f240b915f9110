import BridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// Appends one audit line (every admin action, allowed or not; every enrollment).
    public func appendAudit(_ entry: AuditEntry) throws {
        try database.write { db in try Self.appendAudit(db, entry) }
    }

    static func appendAudit(_ db: Database, _ entry: AuditEntry) throws {
        try db.execute(sql: "INSERT INTO audit (at, actor, role, action, target, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [entry.at.timeIntervalSince1970, entry.actor, entry.role, entry.action, entry.target, entry.outcome])
    }

    /// The newest `limit` audit lines with ids below `before` (nil: the newest), newest first.
    public func audit(before: Int64? = nil, limit: Int = 100) throws -> [AuditEntry] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?",
                             arguments: [before ?? Int64.max, limit]).map { row in
                AuditEntry(id: row["id"], at: Date(timeIntervalSince1970: row["at"]), actor: row["actor"], role: row["role"],
                           action: row["action"], target: row["target"], outcome: row["outcome"])
            }
        }
    }
}
