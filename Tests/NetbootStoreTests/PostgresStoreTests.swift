import BootServices
import Foundation
import NetbootStore
import NetbootStorePostgres
import NetbootWire
import Testing

/// What only the PostgreSQL backend has: the database going away and coming back, the bounded
/// pool, the clock-skew guard against the server's clock. A real cluster each (no mocks).
@Suite(.serialized) struct PostgresStoreTests {
    func lease(_ last: UInt8, client: UInt8, expires: Date) -> DHCPLease {
        let mac = MACAddress(rawValue: 0x0200_0000_0000 + UInt64(client))
        return DHCPLease(address: IPv4Address(10, 0, 0, last), clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac),
                         mac: mac, hostname: nil, state: .bound, expires: expires)
    }

    /// No commit succeeds while the server is down (nothing to ACK), and the same store object
    /// works again once it is back: no restart of the appliance.
    @Test func recoversByItselfWhenTheDatabaseComesBack() throws {
        try PostgresTestCluster.withCluster { cluster in
            let store = try PostgresStore(settings: cluster.settings(pool: 2))
            try store.migrate()
            let now = Date()
            #expect(try store.commit([lease(100, client: 1, expires: now + 3600)], now: now) == [.applied])
            try cluster.stop()
            #expect(throws: PostgresStoreError.self) {
                try store.commit([lease(101, client: 2, expires: now + 3600)], now: now)
            }
            #expect(throws: PostgresStoreError.self) { try store.allLeases() }
            try cluster.restart()
            #expect(try store.commit([lease(102, client: 3, expires: now + 3600)], now: Date()) == [.applied])
            // The write refused during the outage was never half-applied.
            #expect(try store.allLeases().map(\.address) == [IPv4Address(10, 0, 0, 100), IPv4Address(10, 0, 0, 102)])
        }
    }

    @Test func thePoolNeverOpensMoreThanItsBound() throws {
        try PostgresTestCluster.withCluster { cluster in
            let store = try PostgresStore(settings: cluster.settings(pool: 2))
            try store.migrate()
            let peak = NSLock()
            nonisolated(unsafe) var most = 0
            nonisolated(unsafe) var failures = 0
            let now = Date()
            DispatchQueue.concurrentPerform(iterations: 8) { writer in
                for n in 0..<5 {
                    do {
                        _ = try store.commit([lease(UInt8(writer * 10 + n), client: UInt8(writer * 10 + n), expires: now + 3600)],
                                             now: Date())
                    } catch {
                        peak.withLock { failures += 1 }
                    }
                    let open = store.openConnections
                    peak.withLock { most = max(most, open) }
                }
            }
            #expect(failures == 0)
            #expect(most >= 1 && most <= 2, "open connections peaked at \(most)")
            #expect(try store.allLeases().count == 40)
        }
    }

    @Test func refusesToLeaseWithASkewedClock() throws {
        try PostgresTestCluster.withCluster { cluster in
            let store = try PostgresStore(settings: cluster.settings(maxClockSkew: 30))
            try store.migrate()
            let skewed = Date() + 120
            #expect(throws: ClockSkewError.self) {
                try store.commit([lease(100, client: 1, expires: skewed + 3600)], now: skewed)
            }
            #expect(try store.allLeases().isEmpty)
            let now = Date()
            #expect(try store.commit([lease(100, client: 1, expires: now + 3600)], now: now) == [.applied])
            #expect(abs(try store.databaseTime().timeIntervalSinceNow) < 30)
        }
    }

    /// A batch costs four statements (round trips) whatever its size: BEGIN, the clock read
    /// with the rows locked, one write of every applied lease, COMMIT. Before, every lease was
    /// a statement of its own and every exchange of two writes three more (its savepoint).
    @Test func aBatchCostsFourStatementsWhateverItsSize() throws {
        try PostgresTestCluster.withCluster { cluster in
            let store = try PostgresStore(settings: cluster.settings())
            try store.migrate()
            let now = Date()
            let first = (0..<40).map { (n: Int) -> DHCPLease in lease(UInt8(100 + n), client: UInt8(n), expires: now + 3600) }
            var before = store.statementsSent
            #expect(try store.commit(first, now: now) == Array(repeating: .applied, count: 40))
            #expect(store.statementsSent - before == 4)
            // Renewals, new leases with the release of an older one, and refusals, mixed.
            var batch: [DHCPLease] = []
            var exchanges: [Range<Int>] = []
            for n in 0..<20 {
                var old = first[n]
                old.state = .released
                old.expires = now
                let start = batch.count
                batch += [lease(UInt8(200 + n), client: UInt8(n), expires: now + 3600), old]
                exchanges.append(start..<batch.count)
            }
            batch += (20..<40).map { (n: Int) -> DHCPLease in lease(UInt8(100 + n), client: UInt8(n), expires: now + 7200) }
            batch.append(lease(100, client: 99, expires: now + 3600))  // held by client 0? released above
            batch.append(lease(121, client: 98, expires: now + 3600))  // held by client 21: refused
            exchanges += (40..<batch.count).map { $0..<($0 + 1) }
            before = store.statementsSent
            let outcomes = try store.commit(batch, exchanges: exchanges, now: now)
            #expect(store.statementsSent - before == 4)
            #expect(outcomes.filter(\.isApplied).count == batch.count - 1)
            #expect(try store.lease(at: IPv4Address(10, 0, 0, 100))?.mac == MACAddress(rawValue: 0x0200_0000_0000 + 99))
            #expect(try store.lease(at: IPv4Address(10, 0, 0, 121))?.mac == MACAddress(rawValue: 0x0200_0000_0000 + 21))
            #expect(try store.allLeases().count == 60)
        }
    }

    /// A database whose schema is newer than this build is refused, not written to.
    @Test func aNewerSchemaIsRefused() throws {
        try PostgresTestCluster.withCluster { cluster in
            let store = try PostgresStore(settings: cluster.settings())
            #expect(try store.schemaVersion() == 0)
            #expect(try store.migrate() == Array(1...StoreSchema.version))
            #expect(try store.migrate() == [])
            try cluster.psql("INSERT INTO netboot_schema (version, name) VALUES (\(StoreSchema.version + 1), 'future')")
            #expect(throws: PostgresStoreError.schemaTooNew(found: StoreSchema.version + 1, known: StoreSchema.version)) {
                try store.migrate()
            }
            #expect(!StoreCheck.of(store).isCurrent)
        }
    }

    @Test func anUnreachableDatabaseIsSaidSoByCheck() throws {
        let settings = PostgresStore.Settings(endpoint: .unixSocket(path: "/tmp/nbpg-absent-\(UUID().uuidString.prefix(8))/.s.PGSQL.5432"),
                                              user: "netboot", password: nil, database: "netboot", pool: 1)
        let check = StoreCheck.of(try PostgresStore(settings: settings))
        #expect(!check.reachable)
        #expect(check.problem?.contains("unreachable") == true)
    }
}
