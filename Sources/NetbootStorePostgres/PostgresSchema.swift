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
        // The proxy bridge's records (``BridgeRecords``), shared by every appliance's bridge.
        // Times are seconds since 1970 as `double precision`, as in bridge.sqlite, so both
        // backends hand back identical `Date`s; text that lists sort by is `COLLATE "C"` (byte
        // order, as SQLite's BINARY).
        (2, "bridge records", [
            """
            CREATE TABLE bridge_device (
                mac text COLLATE "C" PRIMARY KEY,
                serial text, model text, hostname text, os_version text,
                enrolled_at double precision NOT NULL, updated_at double precision NOT NULL,
                last_seen double precision NOT NULL,
                last_sequence bigint NOT NULL DEFAULT 0,
                report_count bigint NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE bridge_token (
                digest text COLLATE "C" PRIMARY KEY CHECK (length(digest) = 64),
                role text NOT NULL,
                label text NOT NULL DEFAULT '',
                created_at double precision NOT NULL,
                expires_at double precision, used_at double precision, revoked_at double precision,
                device_mac text
            )
            """,
            "CREATE INDEX bridge_token_device ON bridge_token (device_mac)",
            """
            CREATE TABLE bridge_report (
                mac text NOT NULL,
                sequence bigint NOT NULL,
                kind text NOT NULL,
                body bytea NOT NULL,
                digest text NOT NULL,
                received_at double precision NOT NULL,
                PRIMARY KEY (mac, sequence)
            )
            """,
            """
            CREATE TABLE bridge_audit (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at double precision NOT NULL, actor text NOT NULL, role text NOT NULL,
                action text NOT NULL, target text NOT NULL, outcome text NOT NULL
            )
            """,
            """
            CREATE TABLE bridge_outbox (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                mac text NOT NULL,
                idempotency_key text NOT NULL UNIQUE,
                kind text NOT NULL,
                body bytea NOT NULL,
                created_at double precision NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at double precision NOT NULL,
                delivered_at double precision,
                rejected_at double precision,
                last_error text
            )
            """,
            "CREATE INDEX bridge_outbox_pending ON bridge_outbox (mac, id) WHERE delivered_at IS NULL AND rejected_at IS NULL",
            """
            CREATE TABLE bridge_run (
                id text COLLATE "C" PRIMARY KEY,
                mac text NOT NULL,
                sequence text NOT NULL,
                steps bytea NOT NULL,
                state text NOT NULL,
                started_ms bigint NOT NULL,
                finished_ms bigint,
                inserted bigint GENERATED ALWAYS AS IDENTITY
            )
            """,
            "CREATE INDEX bridge_run_mac ON bridge_run (mac, started_ms)",
            """
            CREATE TABLE bridge_run_event (
                mac text NOT NULL,
                sequence bigint NOT NULL,
                run_id text NOT NULL,
                body bytea NOT NULL,
                digest text NOT NULL,
                received_at double precision NOT NULL,
                PRIMARY KEY (mac, sequence)
            )
            """,
            "CREATE INDEX bridge_run_event_run ON bridge_run_event (run_id, sequence)",
            """
            CREATE TABLE bridge_deployment (
                sequence text COLLATE "C" NOT NULL,
                collection text COLLATE "C" NOT NULL,
                created_at double precision NOT NULL,
                actor text NOT NULL,
                PRIMARY KEY (sequence, collection)
            )
            """,
            """
            CREATE TABLE bridge_escrow (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                mac text NOT NULL,
                kind text NOT NULL,
                sealed bytea NOT NULL,
                escrowed_at double precision NOT NULL
            )
            """,
            "CREATE INDEX bridge_escrow_device ON bridge_escrow (mac, id)",
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
