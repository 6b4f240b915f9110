import BridgeCore
import Foundation
import GRDB

/// One escrowed secret as stored: sealed (``EscrowSeal``), never its text.
public struct StoredEscrow: Sendable, Equatable {
    public var id: Int64
    public var mac: String
    public var kind: String
    public var sealed: Data
    public var escrowedAt: Date

    public init(id: Int64, mac: String, kind: String, sealed: Data, escrowedAt: Date) {
        self.id = id
        self.mac = mac
        self.kind = kind
        self.sealed = sealed
        self.escrowedAt = escrowedAt
    }
}

extension BridgeStore {
    /// Escrowed secrets (docs/bridge.md, "Escrow"): a row per escrow, the secret sealed, never
    /// deleted (seed L2895-2896). Nothing about it goes to the outbox.
    static func registerEscrowTable(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("escrow") { db in
            try db.execute(sql: """
                CREATE TABLE escrow (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    mac TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    sealed BLOB NOT NULL,
                    escrowed_at REAL NOT NULL
                );
                CREATE INDEX escrow_device ON escrow (mac, id);
                """)
        }
    }

    /// Stores one sealed secret of a device, durably, and returns its row.
    public func escrow(mac: String, kind: String, sealed: Data, now: Date) throws -> StoredEscrow {
        try database.write { db in
            try db.execute(sql: "INSERT INTO escrow (mac, kind, sealed, escrowed_at) VALUES (?, ?, ?, ?)",
                           arguments: [mac, kind, sealed, now.timeIntervalSince1970])
            return StoredEscrow(id: db.lastInsertedRowID, mac: mac, kind: kind, sealed: sealed, escrowedAt: now)
        }
    }

    /// A device's escrowed secrets, newest first.
    public func escrowed(mac: String) throws -> [StoredEscrow] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM escrow WHERE mac = ? ORDER BY id DESC", arguments: [mac]).map { row in
                StoredEscrow(id: row["id"], mac: row["mac"], kind: row["kind"], sealed: row["sealed"],
                             escrowedAt: Date(timeIntervalSince1970: row["escrowed_at"]))
            }
        }
    }
}
