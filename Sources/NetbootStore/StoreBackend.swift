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
    /// 2: the proxy bridge's records (``BridgeRecords``): `bridge_device`, `bridge_token`,
    /// `bridge_report`, `bridge_run`, `bridge_run_event`, `bridge_deployment`, `bridge_audit`,
    /// `bridge_escrow`, `bridge_outbox` — in PostgreSQL; the SQLite store keeps them in
    /// `bridge.sqlite` (``BridgeStore``, its own migrations), so its step 2 changes nothing.
    public static let version = 2
}

/// The outcome of `netboot store check`.
public struct StoreCheck: Equatable, Sendable {
    public var reachable: Bool
    /// The database's schema version (nil when unreachable).
    public var schemaVersion: Int?
    /// What went wrong, when unreachable.
    public var problem: String?
    /// How far this machine's clock is ahead of the database's (negative: behind); nil when
    /// not measured (unreachable, or a backend with this machine's clock).
    public var clockSkew: TimeInterval?
    /// The clock-skew guard's refusal, when the skew is beyond `store.max-clock-skew`.
    public var clockProblem: ClockSkewError?

    public init(reachable: Bool, schemaVersion: Int?, problem: String?, clockSkew: TimeInterval? = nil,
                clockProblem: ClockSkewError? = nil) {
        self.reachable = reachable
        self.schemaVersion = schemaVersion
        self.problem = problem
        self.clockSkew = clockSkew
        self.clockProblem = clockProblem
    }

    /// True when the database is reachable and exactly at ``StoreSchema/version``.
    public var isCurrent: Bool { reachable && schemaVersion == StoreSchema.version }

    /// True when current and the clocks agree within the bound: what `netboot store check`
    /// exits 0 for.
    public var isHealthy: Bool { isCurrent && clockProblem == nil }

    /// Checks `backend`: reachable, and at which schema version.
    public static func of(_ backend: any StoreBackend) -> StoreCheck {
        do {
            return StoreCheck(reachable: true, schemaVersion: try backend.schemaVersion(), problem: nil)
        } catch {
            return StoreCheck(reachable: false, schemaVersion: nil, problem: "\(error)")
        }
    }

    /// Also measures the clock skew against the database (`measureClock`: PostgreSQL; SQLite
    /// has one clock) and judges it with ``ClockSkewGuard`` — the same guard every lease commit
    /// applies, so `store check` fails exactly when the appliance would refuse to lease.
    /// `clock` is this machine's clock (a parameter for tests).
    public static func of(_ backend: any StoreBackend, measureClock: Bool, maxClockSkew: TimeInterval,
                          clock: () -> Date = { Date() }) -> StoreCheck {
        var check = of(backend)
        guard check.reachable, measureClock else { return check }
        do {
            let before = clock()
            let database = try backend.databaseTime()
            let after = clock()
            check.judgeClock(local: before.addingTimeInterval(after.timeIntervalSince(before) / 2), database: database,
                             bound: maxClockSkew)
        } catch {
            check.reachable = false
            check.problem = "\(error)"
        }
        return check
    }

    /// The pure part: records the skew of `local` against `database` and the guard's verdict.
    /// `local` is this machine's time at the moment the database read its clock (the middle of
    /// the round trip).
    public mutating func judgeClock(local: Date, database: Date, bound: TimeInterval) {
        clockSkew = local.timeIntervalSince(database)
        do {
            try ClockSkewGuard(bound: bound).check(local: local, database: database)
            clockProblem = nil
        } catch let error as ClockSkewError {
            clockProblem = error
        } catch {
            clockProblem = nil
        }
    }
}
