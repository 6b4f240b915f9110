import BridgeCore
import Foundation
import GRDB

/// The proxy bridge's embedded store (docs/bridge.md), one of the ``BridgeRecords`` backends: devices, tokens (digests only), client reports,
/// the audit log and the upstream outbox, in `state-dir/bridge.sqlite` (SQLite, WAL,
/// `synchronous = FULL`, as ``SQLiteStore``).
///
/// A file of its own rather than tables in `netboot.sqlite`: the bridge can run on another host
/// than the appliance (`netboot bridge`), and a burst of reports never waits for the DHCP
/// lease writer's lock. The decisions (token check, report deduplication, retry schedule) are
/// pure code in BridgeCore; this type only reads and writes, each call one transaction.
public final class BridgeStore: BridgeRecords, Sendable {
    public static let fileName = "bridge.sqlite"
    public var backendName: String { "sqlite" }
    public var location: String { path }

    let database: DatabasePool
    public let path: String

    public init(path: String, readOnly: Bool = false) throws {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(5)
        configuration.label = "netboot.bridge-store"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        self.path = path
        database = try DatabasePool(path: path, configuration: configuration)
        if !readOnly {
            // GRDB's pool sets `synchronous = NORMAL` on its writer after `prepareDatabase` (WAL
            // set-up), so FULL is set again on the writer, the connection that commits: without
            // it no commit syncs the WAL and a 202 would not survive a power loss.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try BridgeStore.migrator.migrate(database)
        }
    }

    /// Opens `directory/bridge.sqlite`, creating the directory (mode 0700) unless `readOnly`.
    public convenience init(stateDirectory directory: String, readOnly: Bool = false) throws {
        if !readOnly {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try self.init(path: (directory as NSString).appendingPathComponent(BridgeStore.fileName), readOnly: readOnly)
        if !readOnly {
            // Devices and token digests are nobody else's business; the WAL holds the same rows.
            for file in [path, path + "-wal", path + "-shm"] { chmod(file, 0o600) }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: device, token, report, audit, outbox") { db in
            try db.execute(sql: """
                CREATE TABLE device (
                    mac TEXT PRIMARY KEY NOT NULL,
                    serial TEXT, model TEXT, hostname TEXT, os_version TEXT,
                    enrolled_at REAL NOT NULL, updated_at REAL NOT NULL, last_seen REAL NOT NULL,
                    last_sequence INTEGER NOT NULL DEFAULT 0,
                    report_count INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE token (
                    digest TEXT PRIMARY KEY NOT NULL CHECK (length(digest) = 64),
                    role TEXT NOT NULL,
                    label TEXT NOT NULL DEFAULT '',
                    created_at REAL NOT NULL,
                    expires_at REAL, used_at REAL, revoked_at REAL,
                    device_mac TEXT
                );
                CREATE INDEX token_device ON token (device_mac);
                CREATE TABLE report (
                    mac TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    body BLOB NOT NULL,
                    digest TEXT NOT NULL,
                    received_at REAL NOT NULL,
                    PRIMARY KEY (mac, sequence)
                ) WITHOUT ROWID;
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
                    action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL
                );
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    mac TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    body BLOB NOT NULL,
                    created_at REAL NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    delivered_at REAL,
                    rejected_at REAL,
                    last_error TEXT
                );
                CREATE INDEX outbox_pending ON outbox (mac, id) WHERE delivered_at IS NULL AND rejected_at IS NULL;
                """)
        }
        registerRunTables(&migrator)
        registerEscrowTable(&migrator)
        return migrator
    }

    /// The `synchronous` level of the connection that commits (2 = FULL).
    public func writerSynchronousLevel() throws -> Int {
        try database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func journalMode() throws -> String {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}
