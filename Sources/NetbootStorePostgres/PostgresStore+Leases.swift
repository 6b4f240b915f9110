import BootServices
import Foundation
import NetbootStore
import NetbootWire
import NIOCore
import PostgresNIO

extension PostgresStore: LeaseStore {
    /// One transaction: the clock-skew guard (`ClockSkewGuard`, against the server's clock),
    /// then every existing row the writes meet is locked (`FOR UPDATE`) in address order, so
    /// that two appliances' batches cannot deadlock on each other; then exchange by exchange
    /// `LeaseWriteRule.decide(group:)` decides against those rows (earlier writes of this commit
    /// included) and the group is written whole or not at all. A new row raced by another
    /// appliance's insert (`ON CONFLICT DO NOTHING` did nothing) rolls the group back to its
    /// savepoint, and the group is decided again against the row that won.
    public func commit(_ leases: [DHCPLease], exchanges: [Range<Int>], now: Date) throws -> [LeaseCommitOutcome] {
        guard !leases.isEmpty else { return [] }
        return try transaction { connection in
            // The guard first: a commit decided on a skewed `now` writes nothing.
            let clock = try run("SELECT clock_timestamp()", on: connection)
            guard let databaseNow = try clock.first?.decode(Date.self) else { throw PostgresStoreError.failed("no time from the server") }
            try ClockSkewGuard(bound: settings.maxClockSkew).check(local: now, database: databaseNow)
            let keys = Set(leases.map { Int64($0.address.rawValue) }).sorted()
            var rows: [IPv4Address: DHCPLease] = [:]
            for row in try run("""
                SELECT address, client_id, mac, hostname, state, expires FROM dhcp_lease
                WHERE address = ANY(\(keys)) ORDER BY address FOR UPDATE
                """, on: connection) {
                if let lease = try Self.lease(from: row) { rows[lease.address] = lease }
            }
            var outcomes: [LeaseCommitOutcome] = []
            outcomes.reserveCapacity(leases.count)
            for range in LeaseWriteRule.groups(exchanges, count: leases.count) {
                outcomes += try write(group: leases[range], rows: &rows, now: now, on: connection)
            }
            return outcomes
        }
    }

    private func write(group: ArraySlice<DHCPLease>, rows: inout [IPv4Address: DHCPLease], now: Date,
                       on connection: PostgresConnection) throws -> [LeaseCommitOutcome] {
        // Twice is enough (the racing row is then locked here); more is a fault.
        for _ in 0..<3 {
            let decided = LeaseWriteRule.decide(group: group, rows: rows, now: now)
            guard decided.allSatisfy(\.isApplied) else { return decided }
            let savepoint = group.count > 1
            if savepoint { try run("SAVEPOINT netboot_exchange", on: connection) }
            var raced: IPv4Address?
            var written: [DHCPLease] = []
            for lease in group where raced == nil {
                if try put(lease, exists: rows[lease.address] != nil, now: now, on: connection) {
                    written.append(lease)
                } else {
                    raced = lease.address
                }
            }
            if let raced {
                if savepoint { try run("ROLLBACK TO SAVEPOINT netboot_exchange", on: connection) }
                rows[raced] = try fetchLease(at: raced, lock: true, on: connection)
                continue
            }
            if savepoint { try run("RELEASE SAVEPOINT netboot_exchange", on: connection) }
            for lease in written { rows[lease.address] = lease }
            return decided
        }
        throw PostgresStoreError.contention
    }

    /// Writes one lease: an UPDATE of the row locked before, or an INSERT that does nothing when
    /// another transaction inserted the address first (false).
    private func put(_ lease: DHCPLease, exists: Bool, now: Date, on connection: PostgresConnection) throws -> Bool {
        let address = Int64(lease.address.rawValue)
        let clientID = ByteBuffer(bytes: lease.clientID.bytes)
        let mac = Int64(lease.mac.rawValue)
        if exists {
            try run("""
                UPDATE dhcp_lease SET client_id = \(clientID), mac = \(mac), hostname = \(lease.hostname),
                    state = \(lease.state.rawValue), expires = \(lease.expires), updated = \(now)
                WHERE address = \(address)
                """, on: connection)
            return true
        }
        let inserted = try run("""
            INSERT INTO dhcp_lease (address, client_id, mac, hostname, state, expires, updated)
            VALUES (\(address), \(clientID), \(mac), \(lease.hostname), \(lease.state.rawValue), \(lease.expires), \(now))
            ON CONFLICT (address) DO NOTHING
            """, on: connection)
        return inserted.metadata.rows == 1
    }

    public func allLeases() throws -> [DHCPLease] {
        try read { connection in
            try run("SELECT address, client_id, mac, hostname, state, expires FROM dhcp_lease ORDER BY address",
                    on: connection).compactMap(Self.lease(from:))
        }
    }

    public func lease(at address: IPv4Address) throws -> DHCPLease? {
        try read { connection in try fetchLease(at: address, lock: false, on: connection) }
    }

    func fetchLease(at address: IPv4Address, lock: Bool, on connection: PostgresConnection) throws -> DHCPLease? {
        let key = Int64(address.rawValue)
        let rows = lock
            ? try run("SELECT address, client_id, mac, hostname, state, expires FROM dhcp_lease WHERE address = \(key) FOR UPDATE",
                      on: connection)
            : try run("SELECT address, client_id, mac, hostname, state, expires FROM dhcp_lease WHERE address = \(key)",
                      on: connection)
        return try rows.first.flatMap(Self.lease(from:))
    }

    /// A row as a lease; nil for a row this version cannot read (an unknown state), which is
    /// skipped rather than trusted, as SQLite does.
    static func lease(from row: PostgresRow) throws -> DHCPLease? {
        let (address, clientID, mac, hostname, stateText, expires) =
            try row.decode((Int64, ByteBuffer, Int64, String?, String, Date).self)
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
