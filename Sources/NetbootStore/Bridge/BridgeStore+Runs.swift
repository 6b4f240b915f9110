import BridgeCore
import Foundation
import GRDB

/// A console deployment: a sequence deployed to a collection through `POST /v1/deployments`.
public struct StoredDeployment: Sendable, Equatable, Codable {
    public var sequence: String
    public var collection: String
    public var createdAt: Date
    public var actor: String

    public init(sequence: String, collection: String, createdAt: Date, actor: String) {
        self.sequence = sequence
        self.collection = collection
        self.createdAt = createdAt
        self.actor = actor
    }
}

/// What storing a run event decided, with the run it belongs to.
public enum RunEventAdmission: Equatable, Sendable {
    case stored(ReportAdmission)
    /// No such run for this device.
    case unknownRun
    /// The run has finished: no more events.
    case finished
}

/// What finishing a run decided.
public enum RunFinishAdmission: Equatable, Sendable {
    case finished(RunRecord)
    case unknownRun
    /// Already finished with another outcome.
    case conflict(RunRecord)
}

extension BridgeStore {
    /// v2: runs (issue 16 §6). `run` holds the run and the steps the appliance compiled for it
    /// (never a variable value); `run_event` the machine's step events, keyed like reports by
    /// `(mac, sequence)`; `deployment` the console's deployments.
    static func registerRunTables(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2: run, run_event, deployment") { db in
            try db.execute(sql: """
                CREATE TABLE run (
                    id TEXT PRIMARY KEY NOT NULL,
                    mac TEXT NOT NULL,
                    sequence TEXT NOT NULL,
                    steps BLOB NOT NULL,
                    state TEXT NOT NULL,
                    started_ms INTEGER NOT NULL,
                    finished_ms INTEGER
                );
                CREATE INDEX run_mac ON run (mac, started_ms);
                CREATE TABLE run_event (
                    mac TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    run_id TEXT NOT NULL,
                    body BLOB NOT NULL,
                    digest TEXT NOT NULL,
                    received_at REAL NOT NULL,
                    PRIMARY KEY (mac, sequence)
                ) WITHOUT ROWID;
                CREATE INDEX run_event_run ON run_event (run_id, sequence);
                CREATE TABLE deployment (
                    sequence TEXT NOT NULL,
                    collection TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    PRIMARY KEY (sequence, collection)
                );
                """)
        }
    }

    /// Whether the run tables exist (a read-only open of a store from before them does not
    /// migrate it).
    public func hasRunTables() throws -> Bool {
        try database.read { db in try db.tableExists("run") && db.tableExists("run_event") }
    }

    /// Stores a new run (one durable transaction, before the 201).
    public func insertRun(_ run: RunRecord) throws {
        let steps = try JSONEncoder().encode(run.steps)
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO run (id, mac, sequence, steps, state, started_ms, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run.id, run.mac, run.sequence, steps, run.state, run.startedAtMilliseconds, run.finishedAtMilliseconds])
        }
    }

    /// The submission type's old name (it is ``NetbootStore/RunEventSubmission`` now, shared by
    /// every ``BridgeRecords`` backend).
    public typealias RunEventSubmission = NetbootStore.RunEventSubmission

    /// Stores one step event of `runID` from `mac`, deduplicated by ``ReportAdmission`` on
    /// `(mac, sequence)`, in one durable transaction.
    public func submitRunEvent(_ event: RunEvent, runID: String, mac: String, now: Date) throws -> RunEventAdmission {
        try submitRunEvents([RunEventSubmission(event: event, runID: runID, mac: mac)], now: now)[0]
    }

    /// Stores a batch of run events in one durable transaction (group commit), each decided as
    /// ``submitRunEvent(_:runID:mac:now:)`` would, in order.
    public func submitRunEvents(_ batch: [RunEventSubmission], now: Date) throws -> [RunEventAdmission] {
        guard !batch.isEmpty else { return [] }
        return try database.write { db in
            try batch.map { submission in
                let (event, runID, mac) = (submission.event, submission.runID, submission.mac)
                let body = event.json.canonicalJSON
                let digest = ReportDigest(canonical: body)
                let stored = try String.fetchOne(db, sql: "SELECT digest FROM run_event WHERE mac = ? AND sequence = ?",
                                                 arguments: [mac, event.sequence]).map(ReportDigest.init(hex:))
                // A duplicate is acknowledged whatever happened to the run since; the run is read
                // only for a new event.
                let runState = stored != nil ? nil
                    : try String.fetchOne(db, sql: "SELECT state FROM run WHERE id = ? AND mac = ?", arguments: [runID, mac])
                let admission = BridgeRecordRules.runEvent(stored: stored, incoming: digest, runState: runState)
                guard admission == .stored(.store) else { return admission }
                try db.execute(sql: """
                    INSERT INTO run_event (mac, sequence, run_id, body, digest, received_at) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [mac, event.sequence, runID, body, digest.hex, now.timeIntervalSince1970])
                try db.execute(sql: "UPDATE device SET last_seen = ? WHERE mac = ?", arguments: [now.timeIntervalSince1970, mac])
                return .stored(.store)
            }
        }
    }

    /// Marks a run finished; the same outcome again answers the same.
    public func finishRun(id: String, mac: String, outcome: RunFinishRequest.Outcome, atMilliseconds: Int64) throws -> RunFinishAdmission {
        try database.write { db in
            let stored = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ? AND mac = ?", arguments: [id, mac]).flatMap(Self.run)
            let decided = BridgeRecordRules.finish(stored, outcome: outcome, atMilliseconds: atMilliseconds)
            if decided.write {
                try db.execute(sql: "UPDATE run SET state = ?, finished_ms = ? WHERE id = ?",
                               arguments: [outcome.rawValue, atMilliseconds, id])
            }
            return decided.admission
        }
    }

    /// One run, by id (any device).
    public func run(id: String) throws -> RunRecord? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]).flatMap(Self.run)
        }
    }

    /// The newest run of `mac` (by start time), nil when it has none: what the boot decision
    /// rests on (``BootDecision``).
    public func latestRun(mac: String) throws -> RunRecord? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM run WHERE mac = ? ORDER BY started_ms DESC, rowid DESC LIMIT 1",
                             arguments: [mac]).flatMap(Self.run)
        }
    }

    /// How many runs the store holds in each state (`running`, `succeeded`, `failed`): the
    /// `netboot_runs` gauges (docs/bridge.md, "Metrics").
    public func runCounts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM run GROUP BY state") {
                counts[row["state"] as String? ?? "", default: 0] += row["n"] as Int? ?? 0
            }
            return counts
        }
    }

    /// Runs, newest first, at most `limit`.
    public func runs(limit: Int = 100) throws -> [RunRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY started_ms DESC, id LIMIT ?", arguments: [limit]).compactMap(Self.run)
        }
    }

    /// A run's events in sequence order.
    public func runEvents(id: String) throws -> [RunEvent] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT sequence, body FROM run_event WHERE run_id = ? ORDER BY sequence", arguments: [id])
                .compactMap { row in
                    let body: Data = row["body"]
                    return JSONValue.parse(body).flatMap { RunEvent.stored(sequence: row["sequence"], $0) }
                }
        }
    }

    /// The highest run-event sequence number stored for `mac` (0 for none).
    public func lastRunEventSequence(mac: String) throws -> Int64 {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM run_event WHERE mac = ?", arguments: [mac]) ?? 0
        }
    }

    /// Deploys `sequence` to `collection`; false when it already was.
    public func addDeployment(sequence: String, collection: String, actor: String, now: Date) throws -> Bool {
        try database.write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO deployment (sequence, collection, created_at, actor) VALUES (?, ?, ?, ?)
                """, arguments: [sequence, collection, now.timeIntervalSince1970, actor])
            return db.changesCount > 0
        }
    }

    public func deployments() throws -> [StoredDeployment] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deployment ORDER BY collection, sequence").map { row in
                StoredDeployment(sequence: row["sequence"], collection: row["collection"],
                                 createdAt: Date(timeIntervalSince1970: row["created_at"]), actor: row["actor"])
            }
        }
    }

    static func run(_ row: Row) -> RunRecord? {
        let steps: Data = row["steps"]
        guard let planned = try? JSONDecoder().decode([RunRecord.PlannedStep].self, from: steps) else { return nil }
        return RunRecord(id: row["id"], mac: row["mac"], sequence: row["sequence"], steps: planned, state: row["state"],
                         startedAtMilliseconds: row["started_ms"], finishedAtMilliseconds: row["finished_ms"])
    }
}
