import Foundation
import NetbootStore
import NetbootStorePostgres
import Testing

/// One test's bridge records (``BridgeRecords``): `open()` may be called several times — each
/// call is another appliance (or a restart) on the same records.
protocol BridgeRecordsFixture {
    func open() throws -> any BridgeRecords
}

/// A fresh state directory's `bridge.sqlite`.
struct SQLiteBridgeFixture: BridgeRecordsFixture {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("netboot-bridge-\(UUID().uuidString)").path

    func open() throws -> any BridgeRecords { try BridgeStore(stateDirectory: directory) }
}

/// A throwaway PostgreSQL cluster's database, migrated to the current schema.
struct PostgresBridgeFixture: BridgeRecordsFixture {
    let cluster: PostgresTestCluster

    func open() throws -> any BridgeRecords {
        let store = try PostgresStore(settings: cluster.settings())
        try store.migrate()
        return store
    }
}

/// Runs `body` with fresh records of `kind`, removed afterwards (also when the test fails); a
/// PostgreSQL test is skipped with the reason where the server is not installed, unless CI=true.
func withBridgeRecords<T>(_ kind: StoreKind, _ body: (any BridgeRecordsFixture) throws -> T) throws -> T {
    switch kind {
    case .sqlite:
        let fixture = SQLiteBridgeFixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.directory) }
        return try body(fixture)
    case .postgresql:
        return try PostgresTestCluster.withCluster { try body(PostgresBridgeFixture(cluster: $0)) }
    }
}
