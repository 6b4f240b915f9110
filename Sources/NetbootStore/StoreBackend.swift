import Foundation

/// One store backend: the lease and BSDP-binding records of an appliance, behind the protocols
/// the DHCP service uses (docs/store.md). `SQLiteStore` (embedded, the default) and
/// `PostgresStore` (NetbootStorePostgres, shared by several appliances) conform.
///
/// Further record kinds (devices and tokens, runs and step events, outbox) follow the same
/// pattern: a protocol in this target with its decision rules as pure code here, one extension
/// per backend, and a schema migration numbered in ``StoreSchema``.
public protocol StoreBackend: LeaseStore, BSDPBindingStore {
    /// `sqlite` or `postgresql`, for logs and `netboot store check`.
    var backendName: String { get }
    /// Where the records are, for logs: a file path, or a database URL without its password.
    var location: String { get }
    /// The schema version the database is at (0: no schema yet).
    func schemaVersion() throws -> Int
    /// The database's clock, for the clock-skew guard (SQLite: this machine's clock).
    func databaseTime() throws -> Date
}

/// The schema version this build reads and writes; every backend's migrations end here
/// (docs/store.md "Schema and migrations").
public enum StoreSchema {
    /// 1: `dhcp_lease` (unique address), `bsdp_binding` (unique MAC).
    public static let version = 1
}

/// The outcome of `netboot store check`.
public struct StoreCheck: Equatable, Sendable {
    public var reachable: Bool
    /// The database's schema version (nil when unreachable).
    public var schemaVersion: Int?
    /// What went wrong, when unreachable.
    public var problem: String?

    public init(reachable: Bool, schemaVersion: Int?, problem: String?) {
        self.reachable = reachable
        self.schemaVersion = schemaVersion
        self.problem = problem
    }

    /// True when the database is reachable and exactly at ``StoreSchema/version``.
    public var isCurrent: Bool { reachable && schemaVersion == StoreSchema.version }

    /// Checks `backend`: reachable, and at which schema version.
    public static func of(_ backend: any StoreBackend) -> StoreCheck {
        do {
            return StoreCheck(reachable: true, schemaVersion: try backend.schemaVersion(), problem: nil)
        } catch {
            return StoreCheck(reachable: false, schemaVersion: nil, problem: "\(error)")
        }
    }
}
