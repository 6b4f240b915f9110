import BridgeCore
import Foundation
import GRDB

/// One event waiting for (or past) delivery to the upstream.
public struct OutboxEvent: Hashable, Sendable {
    public var id: Int64
    public var mac: String
    /// Sent as `Idempotency-Key`: `<mac>/report/<sequence>` or `<mac>/enroll/<token id>`.
    public var idempotencyKey: String
    public var kind: String
    public var body: Data
    public var attempts: Int
    public var nextAttemptAt: Date

    public init(id: Int64, mac: String, idempotencyKey: String, kind: String, body: Data, attempts: Int, nextAttemptAt: Date) {
        self.id = id
        self.mac = mac
        self.idempotencyKey = idempotencyKey
        self.kind = kind
        self.body = body
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
    }
}

extension BridgeStore {
    static func enqueue(_ db: Database, mac: String, key: String, kind: String, body: Data, now: Date) throws {
        try db.execute(sql: """
            INSERT INTO outbox (mac, idempotency_key, kind, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (idempotency_key) DO NOTHING
            """, arguments: [mac, key, kind, body, now.timeIntervalSince1970, now.timeIntervalSince1970])
    }

    /// The events due at `now`: for each client, only its oldest undelivered event (so each
    /// client's events go out in order), and only when that one's retry time has come. `claim` is
    /// not needed here: one bridge.sqlite has one bridge relaying it.
    public func dueOutboxEvents(now: Date, limit: Int = 64, claim: TimeInterval = 0) throws -> [OutboxEvent] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.* FROM outbox o
                JOIN (SELECT mac, min(id) AS head FROM outbox WHERE delivered_at IS NULL AND rejected_at IS NULL GROUP BY mac) h
                  ON o.id = h.head
                WHERE o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit]).map { row in
                OutboxEvent(id: row["id"], mac: row["mac"], idempotencyKey: row["idempotency_key"], kind: row["kind"],
                            body: row["body"], attempts: row["attempts"],
                            nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]))
            }
        }
    }

    /// Records one delivery attempt's outcome (``OutboxSchedule/outcome(status:)``).
    public func recordOutboxAttempt(id: Int64, outcome: OutboxSchedule.Outcome, error: String?,
                                    schedule: OutboxSchedule, now: Date) throws {
        try database.write { db in
            let attempts = (try Int.fetchOne(db, sql: "SELECT attempts FROM outbox WHERE id = ?", arguments: [id]) ?? 0) + 1
            let seconds = now.timeIntervalSince1970
            switch outcome {
            case .delivered:
                try db.execute(sql: "UPDATE outbox SET attempts = ?, delivered_at = ?, last_error = NULL WHERE id = ?",
                               arguments: [attempts, seconds, id])
            case .rejected:
                try db.execute(sql: "UPDATE outbox SET attempts = ?, rejected_at = ?, last_error = ? WHERE id = ?",
                               arguments: [attempts, seconds, error, id])
            case .retry:
                let next = schedule.nextAttempt(afterFailedAttempts: attempts, now: now)
                try db.execute(sql: "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                               arguments: [attempts, next.timeIntervalSince1970, error, id])
            }
        }
    }

    /// Counts of the outbox: waiting, delivered, rejected.
    public func outboxCounts() throws -> (pending: Int, delivered: Int, rejected: Int) {
        try database.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT sum(delivered_at IS NULL AND rejected_at IS NULL) AS pending, sum(delivered_at IS NOT NULL) AS delivered,
                       sum(rejected_at IS NOT NULL) AS rejected FROM outbox
                """)
            return ((row?["pending"] as Int?) ?? 0, (row?["delivered"] as Int?) ?? 0, (row?["rejected"] as Int?) ?? 0)
        }
    }
}
