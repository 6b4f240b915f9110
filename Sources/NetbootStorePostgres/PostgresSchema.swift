import Foundation
import NetbootStore
import PostgresNIO

/// The PostgreSQL schema's versioned migrations (docs/store.md "Schema and migrations"): each
/// step is applied once, in order, in the transaction that records it in `netboot_schema`.
/// Never edit a released step; add the next one. Version numbers match ``StoreSchema``.
enum PostgresSchema {
    /// One key for `pg_advisory_xact_lock`, so that appliances starting together migrate in turn.
    static let lockKey: Int64 = 0x6E65_7462_6F6F_7431  // "netboot1"

    static let migrations: [(version: Int, name: String, sql: [String])] = [
        (1, "dhcp_lease, bsdp_binding", [
            // `address` is the primary key: one record per address. Two appliances inserting
            // the same new address serialise on it; the second then sees the first's row.
            """
            CREATE TABLE dhcp_lease (
                address bigint PRIMARY KEY CHECK (address BETWEEN 0 AND 4294967295),
                client_id bytea NOT NULL,
                mac bigint NOT NULL CHECK (mac >= 0),
                hostname text,
                state text NOT NULL CHECK (state IN ('bound', 'released', 'declined')),
                expires timestamptz NOT NULL,
                updated timestamptz NOT NULL
            )
            """,
            "CREATE INDEX dhcp_lease_client ON dhcp_lease (client_id)",
            """
            CREATE TABLE bsdp_binding (
                mac bigint PRIMARY KEY CHECK (mac >= 0),
                image_id bigint NOT NULL CHECK (image_id BETWEEN 0 AND 4294967295),
                server_id bigint NOT NULL CHECK (server_id BETWEEN 0 AND 4294967295),
                selected_at timestamptz NOT NULL
            )
            """,
        ]),
    ]

    static func version(on connection: PostgresConnection, store: PostgresStore) throws -> Int {
        let exists = try store.run("SELECT to_regclass('netboot_schema') IS NOT NULL", on: connection)
        guard try exists.first?.decode(Bool.self) == true else { return 0 }
        let rows = try store.run("SELECT coalesce(max(version), 0)::bigint FROM netboot_schema", on: connection)
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// Inside a transaction: takes the lock, applies each missing step, returns their versions.
    static func migrate(on connection: PostgresConnection, store: PostgresStore) throws -> [Int] {
        try store.run("SELECT pg_advisory_xact_lock(\(lockKey))", on: connection)
        try store.run("""
            CREATE TABLE IF NOT EXISTS netboot_schema (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, on: connection)
        let current = try version(on: connection, store: store)
        guard current <= StoreSchema.version else {
            throw PostgresStoreError.schemaTooNew(found: current, known: StoreSchema.version)
        }
        var applied: [Int] = []
        for step in migrations where step.version > current {
            for statement in step.sql { try store.run(PostgresQuery(unsafeSQL: statement), on: connection) }
            try store.run("INSERT INTO netboot_schema (version, name) VALUES (\(step.version), \(step.name))", on: connection)
            applied.append(step.version)
        }
        return applied
    }
}
