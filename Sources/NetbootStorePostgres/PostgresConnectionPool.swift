import Foundation
import Logging
import NetbootStore
import NIOCore
import PostgresNIO

/// A bounded pool of PostgreSQL connections for callers that block (the DHCP service commits
/// on a thread pool, docs/store.md "Connection budget"): at most `limit` connections are open;
/// a caller that finds them all busy waits for one. A connection that failed is closed and
/// forgotten, and the next caller opens a new one, which is how the store recovers by itself
/// when the database comes back.
///
/// Never call from an event loop: `withConnection` waits on futures.
final class PostgresConnectionPool: @unchecked Sendable {
    // @unchecked: `idle` and `open` are touched only under `condition`.
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var closed = false
    private var nextID = 0
    let limit: Int
    private let configuration: PostgresConnection.Configuration
    private let group: any EventLoopGroup
    private let logger: Logger

    init(configuration: PostgresConnection.Configuration, limit: Int, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.limit = max(1, limit)
        self.group = group
        self.logger = logger
    }

    /// The connections open now (busy or idle), for tests and status.
    var openCount: Int { condition.withLock { open } }

    /// Runs `body` with a connection of its own. When `body` throws and the connection is no
    /// longer usable (closed, or a connection-level error), the connection is dropped.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        do {
            let result = try body(connection)
            checkIn(connection, healthy: true)
            return result
        } catch {
            checkIn(connection, healthy: !connection.isClosed && !PostgresStoreError.isConnectionLevel(error))
            throw error
        }
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw PostgresStoreError.closed
            }
            if let connection = idle.popLast() {
                condition.unlock()
                if connection.isClosed {
                    condition.withLock { open -= 1 }
                    condition.lock()
                    continue
                }
                return connection
            }
            if open < limit {
                open += 1
                nextID += 1
                let id = nextID
                condition.unlock()
                do {
                    return try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id,
                                                          logger: logger).wait()
                } catch {
                    condition.withLock {
                        open -= 1
                        condition.signal()
                    }
                    throw PostgresStoreError.unreachable(PostgresStoreError.describe(error))
                }
            }
            condition.wait()
        }
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) {
        let poolClosed = condition.withLock {
            if healthy && !closed {
                idle.append(connection)
            } else {
                open -= 1
            }
            condition.signal()
            return self.closed
        }
        // Off the lock: wait for the close, so the connection is never released still open.
        if !healthy || poolClosed { try? connection.close().wait() }
    }

    /// Closes the idle connections and refuses new check-outs.
    func close() {
        let connections = condition.withLock {
            closed = true
            defer { idle = [] }
            condition.broadcast()
            return idle
        }
        for connection in connections { try? connection.close().wait() }
    }
}

/// What went wrong talking to PostgreSQL, in words safe to log: PostgresNIO's own errors print
/// a generic text on purpose, so the server's SQLSTATE and message are taken out here (neither
/// ever holds the password).
public enum PostgresStoreError: Error, CustomStringConvertible, Equatable {
    /// No connection could be made (server down, refused, authentication failed, …).
    case unreachable(String)
    /// The store was closed.
    case closed
    /// The database's schema is newer than this build knows.
    case schemaTooNew(found: Int, known: Int)
    /// A write raced another transaction for a new address row more often than is sane.
    case contention
    /// A statement or the connection failed (the server's SQLSTATE and message, or the cause).
    case failed(String)

    public var description: String {
        switch self {
        case .unreachable(let why): "the database is unreachable: \(why)"
        case .closed: "the store is closed"
        case .schemaTooNew(let found, let known):
            "the database's schema is version \(found), newer than this build's \(known); upgrade netboot"
        case .contention: "a lease write kept racing another appliance's; withheld"
        case .failed(let why): why
        }
    }

    /// Runs `body`, turning PostgresNIO's errors into `.failed` with a loggable description.
    static func described<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresStoreError {
            throw error
        } catch let error as ClockSkewError {
            throw error
        } catch {
            throw PostgresStoreError.failed(describe(error))
        }
    }

    /// Whether `error` means the connection itself is gone (rather than one statement failing).
    static func isConnectionLevel(_ error: any Error) -> Bool {
        if let error = error as? PostgresStoreError {
            switch error {
            case .unreachable, .closed: return true
            case .schemaTooNew, .contention, .failed: return false
            }
        }
        if error is ClockSkewError { return false }
        guard let error = error as? PSQLError else { return true }
        switch error.code {
        case .server:
            // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection.
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("57P") || state.hasPrefix("08")
        default:
            return true
        }
    }

    /// A connection-level failure of a connection that was open (not a failure to connect).
    static func isStaleConnection(_ error: any Error) -> Bool {
        if error is PostgresStoreError { return false }
        return isConnectionLevel(error)
    }

    /// A loggable description of any error from PostgresNIO.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresStoreError { return error.description }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? "?"
            let message = info[.message] ?? ""
            return "server error \(state): \(message)"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
