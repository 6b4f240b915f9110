import Foundation
import Logging
import NetbootConfig
import NetbootStore
import NetbootStorePostgres
import NIOCore

/// Opens the store `store:` names (docs/store.md): the embedded SQLite file in `state-dir`, or
/// the shared PostgreSQL database with its password from a file or the environment. Used by
/// `netboot serve` and `netboot store migrate|check`.
public enum ConfiguredStore {
    /// Opens the store. With `migrate`, creates or upgrades the schema; without, SQLite is opened
    /// read-only (it must exist) and PostgreSQL is left as it is.
    public static func open(_ configuration: NetbootConfiguration, migrate: Bool, logger: Logger,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any StoreBackend {
        switch configuration.store {
        case .sqlite:
            return try SQLiteStore(stateDirectory: configuration.stateDir, readOnly: !migrate)
        case .postgresql(let settings):
            let store = try PostgresStore(settings: try postgresSettings(settings, environment: environment), logger: logger)
            if migrate { try store.migrate() }
            return store
        }
    }

    /// Opens the proxy bridge's records (docs/store.md "The bridge's records"): with `store:
    /// sqlite` the embedded `state-dir/bridge.sqlite` (read-only unless `migrate`), with a
    /// PostgreSQL store the same database as the leases, with a pool of its own (`store.pool`
    /// more connections), so that a burst of reports never waits for a lease commit's connection.
    public static func openBridgeRecords(_ configuration: NetbootConfiguration, migrate: Bool, logger: Logger,
                                         environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any BridgeRecords {
        switch configuration.store {
        case .sqlite:
            return try BridgeStore(stateDirectory: configuration.stateDir, readOnly: !migrate)
        case .postgresql(let settings):
            let store = try PostgresStore(settings: try postgresSettings(settings, environment: environment), logger: logger)
            if migrate { try store.migrate() }
            return store
        }
    }

    /// Where the store is, for messages: the SQLite file, or the URL (never with a password).
    public static func location(_ configuration: NetbootConfiguration) -> String {
        switch configuration.store {
        case .sqlite: (configuration.stateDir as NSString).appendingPathComponent(SQLiteStore.fileName)
        case .postgresql(let settings): settings.url.description
        }
    }

    static func postgresSettings(_ c: NetbootConfiguration.PostgreSQL, environment: [String: String]) throws -> PostgresStore.Settings {
        let endpoint: PostgresStore.Settings.Endpoint = c.url.socketPath.map { .unixSocket(path: $0) }
            ?? .tcp(host: c.url.host, port: c.url.port)
        return PostgresStore.Settings(
            endpoint: endpoint, user: c.url.user,
            password: try password(file: c.passwordFile, env: c.passwordEnv, environment: environment),
            database: c.url.database, pool: c.pool, tls: PostgresStore.Settings.TLS(rawValue: c.tls.rawValue) ?? .disable,
            connectTimeout: .seconds(Int64(c.connectTimeout)), maxClockSkew: TimeInterval(c.maxClockSkew))
    }

    /// The password from `file` (its first line) or the environment variable `env`; nil when
    /// neither is configured (trust, peer or certificate authentication). Errors name the file
    /// or the variable, never the value.
    static func password(file: String?, env: String?, environment: [String: String]) throws -> String? {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw StoreOpenError("cannot read store.password-file \(file)")
            }
            let text = String(decoding: data, as: UTF8.self)
            let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let password = line.hasSuffix("\r") ? String(line.dropLast()) : line
            guard !password.isEmpty else { throw StoreOpenError("store.password-file \(file) is empty") }
            return password
        }
        if let env {
            guard let value = environment[env], !value.isEmpty else {
                throw StoreOpenError("store.password-env names \(env), which is not set")
            }
            return value
        }
        return nil
    }
}

/// Why the store could not be opened, in words that hold no secret.
public struct StoreOpenError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
