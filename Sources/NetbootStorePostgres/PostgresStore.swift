import BootServices
import Foundation
import Logging
import NetbootStore
import NetbootWire
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// The shared store: leases and BSDP selections in one PostgreSQL database that several
/// appliances use at once (issue 19, docs/store.md). Every write is one transaction with
/// `synchronous_commit` as the server sets it (on by default): `commit` returns only after the
/// server made it durable, and the DHCP service ACKs only then.
///
/// Conflicts are decided by the same pure rules as SQLite (`LeaseWriteRule`, `BSDPBindingRule`)
/// on rows locked with `SELECT … FOR UPDATE`; the address (and the MAC) is the primary key, so
/// two appliances inserting one new address serialise on it and the second sees the first's row.
///
/// The calls block (the `LeaseStore` contract): call them from a thread pool, never from an
/// event loop.
public final class PostgresStore: StoreBackend, Sendable {
    /// How to reach the database. The password is kept out of `description`.
    public struct Settings: Sendable, CustomStringConvertible {
        public enum Endpoint: Sendable, Equatable {
            case tcp(host: String, port: Int)
            case unixSocket(path: String)
        }
        public enum TLS: String, Sendable { case disable, prefer, require }

        public var endpoint: Endpoint
        public var user: String
        public var password: String?
        public var database: String
        /// The most connections this appliance opens.
        public var pool: Int
        public var tls: TLS
        public var connectTimeout: TimeAmount
        /// The clock-skew guard applied to every lease commit.
        public var maxClockSkew: TimeInterval

        public init(endpoint: Endpoint, user: String, password: String?, database: String, pool: Int = 4,
                    tls: TLS = .disable, connectTimeout: TimeAmount = .seconds(5), maxClockSkew: TimeInterval = 30) {
            self.endpoint = endpoint
            self.user = user
            self.password = password
            self.database = database
            self.pool = pool
            self.tls = tls
            self.connectTimeout = connectTimeout
            self.maxClockSkew = maxClockSkew
        }

        /// The database as a URL without the password.
        public var description: String {
            switch endpoint {
            case .tcp(let host, let port): "postgresql://\(user)@\(host):\(port)/\(database)"
            case .unixSocket(let path): "postgresql://\(user)@/\(database)?socket=\(path)"
            }
        }

        func connectionConfiguration() throws -> PostgresConnection.Configuration {
            var configuration: PostgresConnection.Configuration
            switch endpoint {
            case .tcp(let host, let port):
                let tls: PostgresConnection.Configuration.TLS
                switch self.tls {
                case .disable: tls = .disable
                case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
                configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
            case .unixSocket(let path):
                configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
            }
            configuration.options.connectTimeout = connectTimeout
            return configuration
        }
    }

    public let settings: Settings
    let pool: PostgresConnectionPool
    let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let sent = Atomic<Int>(0)
    public var backendName: String { "postgresql" }
    public var location: String { settings.description }

    /// Prepares the pool; connects on first use (so an appliance can start while the database
    /// is down, and acknowledges nothing until it is up). Call ``migrate()`` to create or
    /// upgrade the schema.
    public init(settings: Settings, logger: Logger = Logger(label: "netboot.store.postgresql")) throws {
        self.settings = settings
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            pool = PostgresConnectionPool(configuration: try settings.connectionConfiguration(), limit: settings.pool,
                                          group: group, logger: logger)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    deinit {
        pool.close()
        try? group.syncShutdownGracefully()
    }

    /// The connections open now (never more than `settings.pool`).
    public var openConnections: Int { pool.openCount }

    // MARK: transactions

    /// Runs `body` inside BEGIN … COMMIT on one connection; ROLLBACK when it throws. A pooled
    /// connection the server dropped while it was idle (a database restart) fails at BEGIN,
    /// before anything was sent that could be applied: that one attempt is repeated once on a
    /// new connection.
    func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try PostgresStoreError.described {
            var attempt = 0
            while true {
                attempt += 1
                var begun = false
                do {
                    return try pool.withConnection { connection in
                        try run("BEGIN", on: connection)
                        begun = true
                        do {
                            let result = try body(connection)
                            try run("COMMIT", on: connection)
                            return result
                        } catch {
                            _ = try? run("ROLLBACK", on: connection)
                            throw error
                        }
                    }
                } catch where !begun && attempt == 1 && PostgresStoreError.isStaleConnection(error) {
                    continue
                }
            }
        }
    }

    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        sent.add(1, ordering: .relaxed)
        return try connection.query(query, logger: logger).wait()
    }

    /// The statements sent so far (each one round trip to the server), for tests and profiling.
    public var statementsSent: Int { sent.load(ordering: .relaxed) }

    func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try PostgresStoreError.described { try pool.withConnection(body) }
    }

    // MARK: schema

    /// The applied schema version (0 when the database has no netboot schema yet).
    public func schemaVersion() throws -> Int {
        try read { connection in try PostgresSchema.version(on: connection, store: self) }
    }

    /// Creates or upgrades the schema to ``StoreSchema/version`` (idempotent; several appliances
    /// starting at once take turns on an advisory lock). Returns the versions applied now.
    @discardableResult
    public func migrate() throws -> [Int] {
        try transaction { connection in try PostgresSchema.migrate(on: connection, store: self) }
    }

    public func databaseTime() throws -> Date {
        try read { connection in
            let rows = try run("SELECT clock_timestamp()", on: connection)
            guard let row = rows.first else { throw PostgresStoreError.unreachable("no time from the server") }
            return try row.decode(Date.self)
        }
    }

    /// Closes the pool's connections.
    public func close() { pool.close() }
}
