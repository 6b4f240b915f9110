import BootServices
import Foundation
import NetbootStore
import NetbootWire
import NIOCore
import PostgresNIO

extension PostgresStore: LeaseStore {
    /// One transaction of four statements, whatever the batch's size: BEGIN; one SELECT that
    /// reads the server's clock (the clock-skew guard, `ClockSkewGuard`) and locks every
    /// existing row the writes meet (`FOR UPDATE`, in address order, so two appliances' batches
    /// cannot deadlock); then, in memory, exchange by exchange `LeaseWriteRule.decide(group:)`
    /// against those rows (earlier writes of this commit included), whole or not at all; one
    /// statement that writes every applied lease (arrays through `unnest`: an UPDATE of the
    /// locked rows, an `INSERT … ON CONFLICT DO NOTHING` of the new ones in address order);
    /// COMMIT. A new row raced by another appliance's insert (the INSERT did nothing for it)
    /// rolls the whole transaction back and the batch is decided again from the start, where
    /// the row that won is then locked and decided against.
    public func commit(_ leases: [DHCPLease], exchanges: [Range<Int>], now: Date) throws -> [LeaseCommitOutcome] {
        guard !leases.isEmpty else { return [] }
        let keys = Set(leases.map { Int64($0.address.rawValue) }).sorted()
        // Three times is plenty (each retry finds the raced rows locked); more is a fault.
        for _ in 0..<3 {
            do {
                return try transaction { connection in
                    var rows = try lockRows(keys, now: now, on: connection)
                    let locked = Set(rows.keys)
                    var outcomes: [LeaseCommitOutcome] = []
                    outcomes.reserveCapacity(leases.count)
                    var written: [IPv4Address: DHCPLease] = [:]
                    for range in LeaseWriteRule.groups(exchanges, count: leases.count) {
                        let decided = LeaseWriteRule.decide(group: leases[range], rows: rows, now: now)
                        if decided.allSatisfy(\.isApplied) {
                            for lease in leases[range] {
                                rows[lease.address] = lease
                                written[lease.address] = lease
                            }
                        }
                        outcomes += decided
                    }
                    try write(written.values.sorted { $0.address < $1.address }, locked: locked, now: now,
                              on: connection)
                    return outcomes
                }
            } catch PostgresStoreError.contention {
                continue  // raced: rolled back; decided again with the winner's row locked
            }
        }
        throw PostgresStoreError.contention
    }

    /// One fewer than the pool's connections (the BSDP binding refresh keeps one), at least
    /// one: batches on different connections are made durable together by the server.
    public var concurrentCommits: Int { max(1, settings.pool - 1) }

    /// The server's clock, checked against `now` (a commit decided on a skewed `now` writes
    /// nothing), and the rows at `keys` that exist, locked in address order: one round trip.
    private func lockRows(_ keys: [Int64], now: Date, on connection: PostgresConnection) throws -> [IPv4Address: DHCPLease] {
        let result = try run("""
            WITH locked AS MATERIALIZED (
                SELECT address, client_id, mac, hostname, state, expires FROM dhcp_lease
                WHERE address = ANY(\(keys)) ORDER BY address FOR UPDATE)
            SELECT clock_timestamp(), l.address, l.client_id, l.mac, l.hostname, l.state, l.expires
            FROM (VALUES (0)) AS one LEFT JOIN locked AS l ON true
            """, on: connection)
        var databaseNow: Date?
        var rows: [IPv4Address: DHCPLease] = [:]
        for row in result {
            let (clock, address, clientID, mac, hostname, state, expires) =
                try row.decode((Date, Int64?, ByteBuffer?, Int64?, String?, String?, Date?).self)
            databaseNow = databaseNow ?? clock
            guard let address, let clientID, let mac, let state, let expires,
                  let lease = Self.lease(address: address, clientID: clientID, mac: mac, hostname: hostname,
                                         state: state, expires: expires) else { continue }
            rows[lease.address] = lease
        }
        guard let databaseNow else { throw PostgresStoreError.failed("no time from the server") }
        try ClockSkewGuard(bound: settings.maxClockSkew).check(local: now, database: databaseNow)
        return rows
    }

    /// Writes `leases` (one per address, in address order) in one statement: an UPDATE of the
    /// rows locked before (`locked`), an INSERT of the others that does nothing for an address
    /// another transaction inserted first — which throws `.contention`, so that the caller rolls
    /// everything back rather than leave an exchange half-written, and decides again.
    private func write(_ leases: [DHCPLease], locked: Set<IPv4Address>, now: Date,
                       on connection: PostgresConnection) throws {
        guard !leases.isEmpty else { return }
        let existing = leases.map { locked.contains($0.address) }
        let inserts = existing.filter { !$0 }.count
        let result = try run("""
            WITH w AS (
                SELECT * FROM unnest(\(leases.map { Int64($0.address.rawValue) }),
                                     \(leases.map { ByteBuffer(bytes: $0.clientID.bytes) }),
                                     \(leases.map { Int64($0.mac.rawValue) }),
                                     \(leases.map { $0.hostname ?? "" }), \(leases.map { $0.hostname != nil }),
                                     \(leases.map(\.state.rawValue)), \(leases.map(\.expires)), \(existing))
                    AS w(address, client_id, mac, hostname, has_hostname, state, expires, existing)),
            updated AS (
                UPDATE dhcp_lease AS d SET client_id = w.client_id, mac = w.mac,
                    hostname = CASE WHEN w.has_hostname THEN w.hostname END, state = w.state,
                    expires = w.expires, updated = \(now)
                FROM w WHERE w.existing AND d.address = w.address)
            INSERT INTO dhcp_lease (address, client_id, mac, hostname, state, expires, updated)
            SELECT address, client_id, mac, CASE WHEN has_hostname THEN hostname END, state, expires, \(now)
            FROM w WHERE NOT existing ORDER BY address
            ON CONFLICT (address) DO NOTHING
            """, on: connection)
        if (result.metadata.rows ?? 0) < inserts { throw PostgresStoreError.contention }
    }

    public func allLeases() throws -> [DHCPLease] {
        try read { connection in
            try run("SELECT address, client_id, mac, hostname, state, expires FROM dhcp_lease ORDER BY address",
                    on: connection).compactMap(Self.lease(from:))
        }
    }

    public func lease(at address: IPv4Address) throws -> DHCPLease? {
        let key = Int64(address.rawValue)
        return try read { connection in
            try run("SELECT address, client_id, mac, hostname, state, expires FROM dhcp_lease WHERE address = \(key)",
                    on: connection).first.flatMap(Self.lease(from:))
        }
    }

    /// A row as a lease; nil for a row this version cannot read (an unknown state), which is
    /// skipped rather than trusted, as SQLite does.
    static func lease(from row: PostgresRow) throws -> DHCPLease? {
        let (address, clientID, mac, hostname, stateText, expires) =
            try row.decode((Int64, ByteBuffer, Int64, String?, String, Date).self)
        return lease(address: address, clientID: clientID, mac: mac, hostname: hostname, state: stateText, expires: expires)
    }

    static func lease(address: Int64, clientID: ByteBuffer, mac: Int64, hostname: String?, state stateText: String,
                      expires: Date) -> DHCPLease? {
        guard let state = DHCPLease.State(rawValue: stateText), let raw = UInt32(exactly: address), mac >= 0 else { return nil }
        return DHCPLease(address: IPv4Address(rawValue: raw), clientID: DHCPClientID(bytes: Array(clientID.readableBytesView)),
                         mac: MACAddress(rawValue: UInt64(mac)), hostname: hostname, state: state, expires: expires)
    }
}

extension PostgresStore: BSDPBindingStore {
    public func binding(for mac: MACAddress) throws -> BSDPClientBinding? {
        try read { connection in try fetchBinding(mac, lock: false, on: connection) }
    }

    /// Locks the MAC's row (or inserts it), and replaces it only when `BSDPBindingRule` says so.
    public func save(_ binding: BSDPClientBinding) throws {
        let mac = Int64(binding.mac.rawValue), image = Int64(binding.imageID)
        let server = Int64(binding.serverIdentifier.rawValue)
        try transaction { connection in
            let inserted = try run("""
                INSERT INTO bsdp_binding (mac, image_id, server_id, selected_at)
                VALUES (\(mac), \(image), \(server), \(binding.selectedAt)) ON CONFLICT (mac) DO NOTHING
                """, on: connection)
            guard inserted.metadata.rows != 1 else { return }
            let stored = try fetchBinding(binding.mac, lock: true, on: connection)
            guard BSDPBindingRule.replaces(binding, stored: stored) else { return }
            try run("""
                UPDATE bsdp_binding SET image_id = \(image), server_id = \(server), selected_at = \(binding.selectedAt)
                WHERE mac = \(mac)
                """, on: connection)
        }
    }

    @discardableResult
    public func removeBinding(for mac: MACAddress, namingServer: IPv4Address?) throws -> Bool {
        try transaction { connection in
            let key = Int64(mac.rawValue)
            let stored = try fetchBinding(mac, lock: true, on: connection)
            guard BSDPBindingRule.removes(stored, namingServer: namingServer) else { return false }
            return try run("DELETE FROM bsdp_binding WHERE mac = \(key)", on: connection).metadata.rows ?? 0 > 0
        }
    }

    public func allBindings() throws -> [BSDPClientBinding] {
        try read { connection in
            try run("SELECT mac, image_id, server_id, selected_at FROM bsdp_binding ORDER BY mac", on: connection)
                .compactMap(Self.binding(from:))
        }
    }

    func fetchBinding(_ mac: MACAddress, lock: Bool, on connection: PostgresConnection) throws -> BSDPClientBinding? {
        let key = Int64(mac.rawValue)
        let rows = lock
            ? try run("SELECT mac, image_id, server_id, selected_at FROM bsdp_binding WHERE mac = \(key) FOR UPDATE", on: connection)
            : try run("SELECT mac, image_id, server_id, selected_at FROM bsdp_binding WHERE mac = \(key)", on: connection)
        return try rows.first.flatMap(Self.binding(from:))
    }

    static func binding(from row: PostgresRow) throws -> BSDPClientBinding? {
        let (mac, image, server, selectedAt) = try row.decode((Int64, Int64, Int64, Date).self)
        guard mac >= 0, let imageID = UInt32(exactly: image), let serverID = UInt32(exactly: server) else { return nil }
        return BSDPClientBinding(mac: MACAddress(rawValue: UInt64(mac)), imageID: imageID,
                                 serverIdentifier: IPv4Address(rawValue: serverID), selectedAt: selectedAt)
    }
}
