import BridgeCore
import Foundation
import NetbootStore
import PostgresNIO

/// Runs, step events, deployments and the outbox of the bridge in the shared database
/// (docs/store.md "The bridge's records"); see `PostgresStore+Bridge.swift`.
extension PostgresStore {
    // MARK: runs

    public func hasRunTables() throws -> Bool {
        try read { connection in
            try run("SELECT to_regclass('bridge_run') IS NOT NULL AND to_regclass('bridge_run_event') IS NOT NULL",
                    on: connection).first?.decode(Bool.self) ?? false
        }
    }

    public func insertRun(_ record: RunRecord) throws {
        let steps = try JSONEncoder().encode(record.steps)
        try transaction { connection in
            _ = try run("""
                INSERT INTO bridge_run (id, mac, sequence, steps, state, started_ms, finished_ms)
                VALUES (\(record.id), \(record.mac), \(record.sequence), \(steps), \(record.state),
                        \(record.startedAtMilliseconds), \(record.finishedAtMilliseconds))
                """, on: connection)
        }
    }

    /// One transaction for the batch. The run's row is read `FOR SHARE`, so a finish racing
    /// the event on another appliance waits for it (or the event sees the run finished); the
    /// insert does nothing when another appliance stored that `(mac, sequence)` first, and the
    /// event is then decided against the row that won.
    public func submitRunEvents(_ batch: [RunEventSubmission], now: Date) throws -> [RunEventAdmission] {
        guard !batch.isEmpty else { return [] }
        let seconds = now.timeIntervalSince1970
        return try transaction { connection in
            try batch.map { submission in
                let (event, runID, mac) = (submission.event, submission.runID, submission.mac)
                let body = event.json.canonicalJSON
                let digest = ReportDigest(canonical: body)
                let stored = try storedEventDigest(mac: mac, sequence: event.sequence, on: connection)
                let runState = stored != nil ? nil
                    : try run("SELECT state FROM bridge_run WHERE id = \(runID) AND mac = \(mac) FOR SHARE", on: connection)
                        .first?.decode(String.self)
                let admission = BridgeRecordRules.runEvent(stored: stored, incoming: digest, runState: runState)
                guard admission == .stored(.store) else { return admission }
                let inserted = try run("""
                    INSERT INTO bridge_run_event (mac, sequence, run_id, body, digest, received_at)
                    VALUES (\(mac), \(event.sequence), \(runID), \(body), \(digest.hex), \(seconds))
                    ON CONFLICT (mac, sequence) DO NOTHING
                    """, on: connection)
                guard inserted.metadata.rows == 1 else {
                    let winner = try storedEventDigest(mac: mac, sequence: event.sequence, on: connection)
                    return BridgeRecordRules.runEvent(stored: winner, incoming: digest, runState: runState)
                }
                try run("UPDATE bridge_device SET last_seen = \(seconds) WHERE mac = \(mac)", on: connection)
                return admission
            }
        }
    }

    private func storedEventDigest(mac: String, sequence: Int64, on connection: PostgresConnection) throws -> ReportDigest? {
        try run("SELECT digest FROM bridge_run_event WHERE mac = \(mac) AND sequence = \(sequence)", on: connection)
            .first.map { ReportDigest(hex: try $0.decode(String.self)) }
    }

    public func finishRun(id: String, mac: String, outcome: RunFinishRequest.Outcome, atMilliseconds: Int64) throws -> RunFinishAdmission {
        try transaction { connection in
            let stored = try run("SELECT \(unescaped: Self.runColumns) FROM bridge_run WHERE id = \(id) AND mac = \(mac) FOR UPDATE",
                                 on: connection).first.flatMap(Self.runRecord)
            let decided = BridgeRecordRules.finish(stored, outcome: outcome, atMilliseconds: atMilliseconds)
            if decided.write {
                try run("UPDATE bridge_run SET state = \(outcome.rawValue), finished_ms = \(atMilliseconds) WHERE id = \(id)",
                        on: connection)
            }
            return decided.admission
        }
    }

    public func run(id: String) throws -> RunRecord? {
        try read { connection in
            try run("SELECT \(unescaped: Self.runColumns) FROM bridge_run WHERE id = \(id)", on: connection).first.flatMap(Self.runRecord)
        }
    }

    public func latestRun(mac: String) throws -> RunRecord? {
        try read { connection in
            try run("""
                SELECT \(unescaped: Self.runColumns) FROM bridge_run WHERE mac = \(mac) ORDER BY started_ms DESC, inserted DESC LIMIT 1
                """, on: connection).first.flatMap(Self.runRecord)
        }
    }

    public func runCounts() throws -> [String: Int] {
        try read { connection in
            var counts: [String: Int] = [:]
            for row in try run("SELECT state, count(*) FROM bridge_run GROUP BY state", on: connection) {
                let (state, count) = try row.decode((String, Int).self)
                counts[state, default: 0] += count
            }
            return counts
        }
    }

    public func runs(limit: Int = 100) throws -> [RunRecord] {
        try read { connection in
            try run("SELECT \(unescaped: Self.runColumns) FROM bridge_run ORDER BY started_ms DESC, id LIMIT \(limit)", on: connection)
                .compactMap(Self.runRecord)
        }
    }

    public func runEvents(id: String) throws -> [RunEvent] {
        try read { connection in
            try run("SELECT sequence, body FROM bridge_run_event WHERE run_id = \(id) ORDER BY sequence", on: connection)
                .compactMap { row in
                    let (sequence, body) = try row.decode((Int64, Data).self)
                    return JSONValue.parse(body).flatMap { RunEvent.stored(sequence: sequence, $0) }
                }
        }
    }

    public func lastRunEventSequence(mac: String) throws -> Int64 {
        try read { connection in
            try run("SELECT coalesce(max(sequence), 0)::bigint FROM bridge_run_event WHERE mac = \(mac)", on: connection)
                .first?.decode(Int64.self) ?? 0
        }
    }

    public func addDeployment(sequence: String, collection: String, actor: String, now: Date) throws -> Bool {
        try transaction { connection in
            try run("""
                INSERT INTO bridge_deployment (sequence, collection, created_at, actor)
                VALUES (\(sequence), \(collection), \(now.timeIntervalSince1970), \(actor)) ON CONFLICT DO NOTHING
                """, on: connection).metadata.rows == 1
        }
    }

    public func deployments() throws -> [StoredDeployment] {
        try read { connection in
            try run("SELECT sequence, collection, created_at, actor FROM bridge_deployment ORDER BY collection, sequence", on: connection)
                .map { row in
                    let (sequence, collection, created, actor) = try row.decode((String, String, Double, String).self)
                    return StoredDeployment(sequence: sequence, collection: collection, createdAt: Date(timeIntervalSince1970: created),
                                            actor: actor)
                }
        }
    }

    static let runColumns = "id, mac, sequence, steps, state, started_ms, finished_ms"

    static func runRecord(_ row: PostgresRow) throws -> RunRecord? {
        let (id, mac, sequence, steps, state, started, finished) = try row.decode((String, String, String, Data, String, Int64, Int64?).self)
        guard let planned = try? JSONDecoder().decode([RunRecord.PlannedStep].self, from: steps) else { return nil }
        return RunRecord(id: id, mac: mac, sequence: sequence, steps: planned, state: state, startedAtMilliseconds: started,
                         finishedAtMilliseconds: finished)
    }

    // MARK: outbox

    func enqueue(mac: String, key: String, kind: String, body: Data, now: Date, on connection: PostgresConnection) throws {
        let seconds = now.timeIntervalSince1970
        try run("""
            INSERT INTO bridge_outbox (mac, idempotency_key, kind, body, created_at, next_attempt_at)
            VALUES (\(mac), \(key), \(kind), \(body), \(seconds), \(seconds)) ON CONFLICT (idempotency_key) DO NOTHING
            """, on: connection)
    }

    /// Each client's oldest undelivered event when due, **claimed** in the same statement: its
    /// `next_attempt_at` moves to `now + claim`, so another bridge relaying the same outbox
    /// does not see it due until this one has recorded its attempt (or died and the claim ran
    /// out). Rows another bridge is claiming right now are skipped (`SKIP LOCKED`); a head that
    /// was delivered meanwhile fails the re-checked condition. The events come back with the
    /// retry time they had before the claim.
    public func dueOutboxEvents(now: Date, limit: Int = 64, claim: TimeInterval) throws -> [OutboxEvent] {
        let seconds = now.timeIntervalSince1970
        return try transaction { connection in
            try run("""
                WITH heads AS (
                    SELECT DISTINCT ON (mac) id FROM bridge_outbox
                    WHERE delivered_at IS NULL AND rejected_at IS NULL ORDER BY mac, id
                ), due AS (
                    SELECT o.id, o.mac, o.idempotency_key, o.kind, o.body, o.attempts, o.next_attempt_at
                    FROM bridge_outbox o JOIN heads h ON o.id = h.id
                    WHERE o.next_attempt_at <= \(seconds) AND o.delivered_at IS NULL AND o.rejected_at IS NULL
                    ORDER BY o.next_attempt_at, o.id LIMIT \(limit)
                    FOR UPDATE OF o SKIP LOCKED
                )
                UPDATE bridge_outbox SET next_attempt_at = \(seconds + max(0, claim)) FROM due WHERE bridge_outbox.id = due.id
                RETURNING due.id, due.mac, due.idempotency_key, due.kind, due.body, due.attempts, due.next_attempt_at
                """, on: connection).map { row in
                let (id, mac, key, kind, body, attempts, next) = try row.decode((Int64, String, String, String, Data, Int, Double).self)
                return OutboxEvent(id: id, mac: mac, idempotencyKey: key, kind: kind, body: body, attempts: attempts,
                                   nextAttemptAt: Date(timeIntervalSince1970: next))
            }.sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
        }
    }

    public func recordOutboxAttempt(id: Int64, outcome: OutboxSchedule.Outcome, error: String?,
                                    schedule: OutboxSchedule, now: Date) throws {
        try transaction { connection in
            let attempts = (try run("SELECT attempts FROM bridge_outbox WHERE id = \(id) FOR UPDATE", on: connection)
                .first?.decode(Int.self) ?? 0) + 1
            let seconds = now.timeIntervalSince1970
            switch outcome {
            case .delivered:
                try run("UPDATE bridge_outbox SET attempts = \(attempts), delivered_at = \(seconds), last_error = NULL WHERE id = \(id)",
                        on: connection)
            case .rejected:
                try run("""
                    UPDATE bridge_outbox SET attempts = \(attempts), rejected_at = \(seconds), last_error = \(error) WHERE id = \(id)
                    """, on: connection)
            case .retry:
                let next = schedule.nextAttempt(afterFailedAttempts: attempts, now: now).timeIntervalSince1970
                try run("""
                    UPDATE bridge_outbox SET attempts = \(attempts), next_attempt_at = \(next), last_error = \(error) WHERE id = \(id)
                    """, on: connection)
            }
        }
    }

    public func outboxCounts() throws -> (pending: Int, delivered: Int, rejected: Int) {
        try read { connection in
            guard let row = try run("""
                SELECT count(*) FILTER (WHERE delivered_at IS NULL AND rejected_at IS NULL), count(delivered_at), count(rejected_at)
                FROM bridge_outbox
                """, on: connection).first else { return (0, 0, 0) }
            let (pending, delivered, rejected) = try row.decode((Int, Int, Int).self)
            return (pending, delivered, rejected)
        }
    }
}
