import Foundation
import NetbootStore
import Testing

/// The backends the store contract suite runs against (`StoreContractTests`). Each fixture
/// makes a fresh, empty database for one test and removes it afterwards, also when the test
/// fails.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }
}

/// One test's database: `open()` may be called several times (a "restart" opens it again).
protocol StoreFixture {
    func open() throws -> any StoreBackend
}

/// A fresh SQLite state directory in the temporary directory.
struct SQLiteFixture: StoreFixture {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("netboot-store-\(UUID().uuidString)").path

    func open() throws -> any StoreBackend { try SQLiteStore(stateDirectory: directory) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Runs `body` with a fresh database of `kind`, removed afterwards. A PostgreSQL test is
/// cancelled (skipped) with the reason where the server is not installed, unless CI=true.
func withStore<T>(_ kind: StoreKind, _ body: (any StoreFixture) throws -> T) throws -> T {
    switch kind {
    case .sqlite:
        let fixture = SQLiteFixture()
        defer { fixture.remove() }
        return try body(fixture)
    case .postgresql:
        return try PostgresTestCluster.withDatabase(body)
    }
}
