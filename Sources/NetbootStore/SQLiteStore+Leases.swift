import BootServices
import Foundation
import GRDB
import NetbootWire

extension SQLiteStore: LeaseStore {
    public func commit(_ leases: [DHCPLease], exchanges: [Range<Int>], now: Date) throws -> [LeaseCommitOutcome] {
        guard !leases.isEmpty else { return [] }
        return try database.write { db in
            var outcomes: [LeaseCommitOutcome] = []
            outcomes.reserveCapacity(leases.count)
            // One writer at a time (SQLite's write lock): the reads of the holders and the writes
            // cannot interleave with another transaction's.
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO dhcp_lease (address, client_id, mac, hostname, state, expires, updated)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (address) DO UPDATE SET
                    client_id = excluded.client_id, mac = excluded.mac, hostname = excluded.hostname,
                    state = excluded.state, expires = excluded.expires, updated = excluded.updated
                """)
            let stamp = now.timeIntervalSince1970
            // The records the writes meet, earlier writes of this commit included.
            var rows: [IPv4Address: DHCPLease] = [:]
            for address in Set(leases.map(\.address)) {
                rows[address] = try Self.fetchLease(db, at: address)
            }
            // One exchange at a time, applied whole or not at all (LeaseWriteRule.decide(group:)).
            for range in LeaseWriteRule.groups(exchanges, count: leases.count) {
                let group = leases[range]
                let decided = LeaseWriteRule.decide(group: group, rows: rows, now: now)
                outcomes.append(contentsOf: decided)
                guard decided.allSatisfy(\.isApplied) else { continue }
                for lease in group {
                    try upsert.execute(arguments: [
                        Int64(lease.address.rawValue), Data(lease.clientID.bytes), Int64(lease.mac.rawValue),
                        lease.hostname, lease.state.rawValue, lease.expires.timeIntervalSince1970, stamp,
                    ])
                    rows[lease.address] = lease
                }
            }
            return outcomes
        }
    }

    public func allLeases() throws -> [DHCPLease] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.leaseColumns) FROM dhcp_lease ORDER BY address").compactMap(Self.lease(from:))
        }
    }

    public func lease(at address: IPv4Address) throws -> DHCPLease? {
        try database.read { db in try Self.fetchLease(db, at: address) }
    }

    /// The columns `lease(from:)` reads, in its order.
    static let leaseColumns = "address, client_id, mac, hostname, state, expires"

    /// One address's record. The statement is compiled once per connection (GRDB's statement
    /// cache): compiling it per lookup ran SQLite's parser and GRDB's authorizer for every
    /// address of every commit, a sixth of the lease writer's time at 10 000 ACKs/s.
    static func fetchLease(_ db: Database, at address: IPv4Address) throws -> DHCPLease? {
        let statement = try db.cachedStatement(sql: "SELECT \(leaseColumns) FROM dhcp_lease WHERE address = ?")
        return try Row.fetchOne(statement, arguments: [Int64(address.rawValue)]).flatMap(lease(from:))
    }

    /// A row of `leaseColumns` as a lease, read by position; nil for a row this version cannot
    /// read (an unknown state), which is skipped rather than trusted.
    static func lease(from row: Row) -> DHCPLease? {
        let address: Int64 = row[0]
        let clientID: Data = row[1]
        let mac: Int64 = row[2]
        let hostname: String? = row[3]
        let stateText: String = row[4]
        let expires: Double = row[5]
        guard let state = DHCPLease.State(rawValue: stateText),
              let raw = UInt32(exactly: address), mac >= 0 else { return nil }
        return DHCPLease(address: IPv4Address(rawValue: raw), clientID: DHCPClientID(bytes: Array(clientID)),
                         mac: MACAddress(rawValue: UInt64(mac)), hostname: hostname, state: state,
                         expires: Date(timeIntervalSince1970: expires))
    }
}

extension SQLiteStore: BSDPBindingStore {
    public func binding(for mac: MACAddress) throws -> BSDPClientBinding? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM bsdp_binding WHERE mac = ?",
                             arguments: [Int64(mac.rawValue)]).flatMap(Self.binding(from:))
        }
    }

    public func save(_ binding: BSDPClientBinding) throws {
        try database.write { db in
            let stored = try Row.fetchOne(db, sql: "SELECT * FROM bsdp_binding WHERE mac = ?",
                                          arguments: [Int64(binding.mac.rawValue)]).flatMap(Self.binding(from:))
            guard BSDPBindingRule.replaces(binding, stored: stored) else { return }
            try db.execute(sql: """
                INSERT INTO bsdp_binding (mac, image_id, server_id, selected_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (mac) DO UPDATE SET image_id = excluded.image_id,
                    server_id = excluded.server_id, selected_at = excluded.selected_at
                """, arguments: [Int64(binding.mac.rawValue), Int64(binding.imageID),
                                 Int64(binding.serverIdentifier.rawValue), binding.selectedAt.timeIntervalSince1970])
        }
    }

    @discardableResult
    public func removeBinding(for mac: MACAddress, namingServer: IPv4Address?) throws -> Bool {
        try database.write { db in
            let stored = try Row.fetchOne(db, sql: "SELECT * FROM bsdp_binding WHERE mac = ?",
                                          arguments: [Int64(mac.rawValue)]).flatMap(Self.binding(from:))
            guard BSDPBindingRule.removes(stored, namingServer: namingServer) else { return false }
            try db.execute(sql: "DELETE FROM bsdp_binding WHERE mac = ?", arguments: [Int64(mac.rawValue)])
            return db.changesCount > 0
        }
    }

    public func allBindings() throws -> [BSDPClientBinding] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM bsdp_binding ORDER BY mac").compactMap(Self.binding(from:))
        }
    }

    static func binding(from row: Row) -> BSDPClientBinding? {
        let mac: Int64 = row["mac"]
        let image: Int64 = row["image_id"]
        let server: Int64 = row["server_id"]
        let selectedAt: Double = row["selected_at"]
        guard mac >= 0, let imageID = UInt32(exactly: image), let serverID = UInt32(exactly: server) else { return nil }
        return BSDPClientBinding(mac: MACAddress(rawValue: UInt64(mac)), imageID: imageID,
                                 serverIdentifier: IPv4Address(rawValue: serverID),
                                 selectedAt: Date(timeIntervalSince1970: selectedAt))
    }
}
