import BootServices
import Foundation
import GRDB
import NetbootWire

/// The embedded store: one SQLite file (`state-dir/netboot.sqlite`) in WAL mode through GRDB,
/// holding DHCP leases and BSDP bindings (DESIGN §5, docs/dhcp.md).
///
/// Durability: `PRAGMA synchronous = FULL`. In WAL mode NORMAL already survives `kill -9` (a
/// committed transaction is in the kernel's page cache), but not a power cut or kernel panic,
/// after which an ACKed lease could vanish and its address go to a second client. FULL syncs the
/// WAL at every commit; batching many leases into one `commit` pays that sync once per batch.
public final class SQLiteStore: StoreBackend, Sendable {
    /// The file name inside the state directory.
    public static let fileName = "netboot.sqlite"
    /// The database's mode: leases and bindings are for the server alone. SQLite gives the
    /// `-wal` and `-shm` files the mode of the database file.
    public static let fileMode: mode_t = 0o600
    /// The mode of a state directory the store creates.
    public static let directoryMode: mode_t = 0o750

    let database: DatabasePool
    public let path: String
    public var backendName: String { "sqlite" }
    public var location: String { path }

    /// This machine's clock: an embedded store has no other.
    public func databaseTime() throws -> Date { Date() }

    /// Opens (creating if needed, unless `readOnly`) the database at `path` and migrates it.
    public init(path: String, readOnly: Bool = false) throws {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(5)
        configuration.label = "netboot.store"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        self.path = path
        if !readOnly { SQLiteStore.restrictFiles(path) }
        database = try DatabasePool(path: path, configuration: configuration)
        if !readOnly {
            // GRDB's pool sets `synchronous = NORMAL` on its writer after `prepareDatabase` (WAL
            // set-up), so FULL is set again on the writer, the connection that commits: without
            // it no lease commit syncs the WAL and an ACKed lease would not survive a power loss.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try SQLiteStore.migrator.migrate(database)
        }
    }

    /// Opens `directory/netboot.sqlite`, creating the directory unless `readOnly`.
    public convenience init(stateDirectory directory: String, readOnly: Bool = false) throws {
        if !readOnly {
            if !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                chmod(directory, SQLiteStore.directoryMode)
            }
        }
        try self.init(path: (directory as NSString).appendingPathComponent(SQLiteStore.fileName), readOnly: readOnly)
    }

    /// Creates the database file empty with ``fileMode`` before SQLite opens it (SQLite would
    /// create it 0644 less the umask), and brings an existing one and its `-wal`/`-shm` to
    /// ``fileMode`` (databases written by earlier versions were 0644).
    static func restrictFiles(_ path: String) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, fileMode)
        if descriptor >= 0 {
            fchmod(descriptor, fileMode)
            close(descriptor)
        }
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, fileMode)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // One migration per ``StoreSchema/version`` step, never edited once released.
        migrator.registerMigration("v1: dhcp_lease, bsdp_binding") { db in
            // `address` is the primary key: one record per address, the first guard against an
            // address leased to two clients; `commit` is the second (it never overwrites an
            // active record of another client).
            try db.execute(sql: """
                CREATE TABLE dhcp_lease (
                    address INTEGER PRIMARY KEY NOT NULL CHECK (address BETWEEN 0 AND 4294967295),
                    client_id BLOB NOT NULL,
                    mac INTEGER NOT NULL,
                    hostname TEXT,
                    state TEXT NOT NULL CHECK (state IN ('bound', 'released', 'declined')),
                    expires REAL NOT NULL,
                    updated REAL NOT NULL
                );
                CREATE INDEX dhcp_lease_client ON dhcp_lease (client_id);
                CREATE TABLE bsdp_binding (
                    mac INTEGER PRIMARY KEY NOT NULL,
                    image_id INTEGER NOT NULL CHECK (image_id BETWEEN 0 AND 4294967295),
                    server_id INTEGER NOT NULL,
                    selected_at REAL NOT NULL
                );
                """)
        }
        // Step 2 is the bridge's records in PostgreSQL; with SQLite they live in bridge.sqlite
        // (``BridgeStore``, migrated on its own), so here the step only keeps the numbers equal.
        migrator.registerMigration("v2: bridge records (kept in bridge.sqlite)") { _ in }
        return migrator
    }

    /// The number of schema migrations applied (``StoreSchema/version`` when current).
    public func schemaVersion() throws -> Int {
        try database.read { db in try SQLiteStore.migrator.appliedIdentifiers(db).count }
    }

    /// The SQLite `synchronous` setting of the connection that commits (2 = FULL), for tests
    /// and `status`.
    public func synchronousLevel() throws -> Int {
        try database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The journal mode in force ("wal").
    public func journalMode() throws -> String {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}
