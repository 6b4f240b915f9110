import BootServices
import Foundation
import NetbootWire
import Testing
@testable import NetbootStore

/// The SQLite store against real files in a temporary directory (no mocks).
@Suite struct SQLiteStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A fresh state directory, removed after `body`.
    func withStateDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("netboot-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    func lease(_ last: UInt8, client: UInt8, state: DHCPLease.State = .bound, expires: Date) -> DHCPLease {
        let mac = MACAddress(rawValue: 0x0200_0000_0000 + UInt64(client))
        return DHCPLease(address: IPv4Address(10, 0, 0, last), clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac),
                         mac: mac, hostname: "host-\(client)", state: state, expires: expires)
    }

    @Test func opensInWALWithFullSync() throws {
        try withStateDirectory { directory in
            let store = try SQLiteStore(stateDirectory: directory)
            #expect(try store.journalMode() == "wal")
            #expect(try store.synchronousLevel() == 2)
            #expect(FileManager.default.fileExists(atPath: directory + "/netboot.sqlite"))
        }
    }

    /// The database and its -wal/-shm are 0600 and a created state directory 0750, whatever
    /// the umask; a database an earlier version left 0644 is brought to 0600 (issue 14 item 5).
    @Test func databaseFilesAreForTheServerAlone() throws {
        let old = umask(0o022)
        defer { umask(old) }
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }
        try withStateDirectory { directory in
            let store = try SQLiteStore(stateDirectory: directory)
            _ = try store.commit([lease(100, client: 1, expires: t0.addingTimeInterval(3600))], now: t0)
            #expect(try mode(directory) == 0o750)
            for name in ["netboot.sqlite", "netboot.sqlite-wal", "netboot.sqlite-shm"] {
                #expect(try mode(directory + "/" + name) == 0o600, "\(name)")
            }
        }
        try withStateDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            do { _ = try SQLiteStore(stateDirectory: directory) }
            for name in ["netboot.sqlite", "netboot.sqlite-wal", "netboot.sqlite-shm"] where FileManager.default.fileExists(atPath: directory + "/" + name) {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/" + name)
            }
            _ = try SQLiteStore(stateDirectory: directory)
            #expect(try mode(directory + "/netboot.sqlite") == 0o600)
        }
    }

    @Test func committedLeasesSurviveReopen() throws {
        try withStateDirectory { directory in
            let leases = [lease(100, client: 1, expires: t0 + 3600),
                          lease(101, client: 2, state: .declined, expires: t0 + 900),
                          lease(102, client: 3, state: .released, expires: t0)]
            do {
                let store = try SQLiteStore(stateDirectory: directory)
                #expect(try store.commit(leases, now: t0) == [.applied, .applied, .applied])
            }
            let reopened = try SQLiteStore(stateDirectory: directory)
            #expect(try reopened.allLeases() == leases)
            #expect(try reopened.lease(at: IPv4Address(10, 0, 0, 101)) == leases[1])
            #expect(try reopened.lease(at: IPv4Address(10, 0, 0, 9)) == nil)
            let readOnly = try SQLiteStore(stateDirectory: directory, readOnly: true)
            #expect(try readOnly.allLeases().count == 3)
        }
    }

    @Test func engineDecisionsRoundTripThroughTheStore() throws {
        try withStateDirectory { directory in
            let subnet = try #require(IPv4Subnet("10.0.0.0/24"))
            let configuration = DHCPPoolConfiguration(subnets: [
                DHCPSubnetConfiguration(subnet: subnet, range: IPv4Address(10, 0, 0, 100)...IPv4Address(10, 0, 0, 110)),
            ])
            let interface = DHCPLeaseRequest.Interface(address: IPv4Address(10, 0, 0, 2), subnet: subnet)
            var engine = DHCPLeaseEngine(configuration: configuration)
            let store = try SQLiteStore(stateDirectory: directory)
            var acked: [IPv4Address] = []
            for n in 1...5 {
                let mac = MACAddress(rawValue: UInt64(n))
                let offer = engine.handle(DHCPLeaseRequest(messageType: .discover, chaddr: mac, receivedOn: interface), now: t0)
                let address = try #require(offer.reply?.yiaddr)
                let ack = engine.handle(DHCPLeaseRequest(messageType: .request, chaddr: mac, requestedAddress: address,
                                                         serverIdentifier: interface.address, receivedOn: interface), now: t0)
                // The shell's order: commit the writes, then send the reply.
                #expect(try store.commit(ack.writes, now: t0).allSatisfy(\.isApplied))
                acked.append(address)
            }
            // A restarted server (new store, new engine) knows every ACKed lease.
            let restartedStore = try SQLiteStore(stateDirectory: directory)
            var restarted = DHCPLeaseEngine(configuration: configuration, leases: try restartedStore.allLeases())
            #expect(restarted.leases.map(\.address) == acked)
            let newcomer = restarted.handle(DHCPLeaseRequest(messageType: .discover, chaddr: MACAddress(rawValue: 99),
                                                             receivedOn: interface), now: t0 + 1)
            #expect(newcomer.reply.map { !acked.contains($0.yiaddr) } == true)
        }
    }

    @Test func anActiveAddressIsNeverGivenToASecondClient() throws {
        try withStateDirectory { directory in
            let store = try SQLiteStore(stateDirectory: directory)
            let first = lease(100, client: 1, expires: t0 + 3600)
            #expect(try store.commit([first], now: t0) == [.applied])
            let thief = lease(100, client: 2, expires: t0 + 3600)
            #expect(try store.commit([thief], now: t0 + 10) == [.refused(holder: first)])
            // Declined addresses are held too, until their period ends.
            let declined = lease(101, client: 3, state: .declined, expires: t0 + 900)
            _ = try store.commit([declined], now: t0)
            #expect(try store.commit([lease(101, client: 4, expires: t0 + 3600)], now: t0 + 899) == [.refused(holder: declined)])
            // The holder itself may renew; the batch applies the rest around a refusal.
            let renewal = lease(100, client: 1, expires: t0 + 7200)
            let other = lease(102, client: 5, expires: t0 + 3600)
            #expect(try store.commit([thief, renewal, other], now: t0 + 20) == [.refused(holder: first), .applied, .applied])
            #expect(try store.allLeases().map(\.mac.rawValue) == [0x0200_0000_0001, 0x0200_0000_0003, 0x0200_0000_0005])
        }
    }

    @Test func expiredAndReleasedAddressesAreReused() throws {
        try withStateDirectory { directory in
            let store = try SQLiteStore(stateDirectory: directory)
            _ = try store.commit([lease(100, client: 1, expires: t0 + 60),
                                  lease(101, client: 2, state: .released, expires: t0 + 3600)], now: t0)
            let newcomers = [lease(100, client: 7, expires: t0 + 3600), lease(101, client: 8, expires: t0 + 3600)]
            #expect(try store.commit(newcomers, now: t0 + 60) == [.applied, .applied])
            #expect(try store.allLeases() == newcomers)
        }
    }

    @Test func theAddressIsTheUniqueKey() throws {
        try withStateDirectory { directory in
            let store = try SQLiteStore(stateDirectory: directory)
            _ = try store.commit([lease(100, client: 1, expires: t0 + 60)], now: t0)
            // Bypassing the guarded upsert, the schema itself refuses a second row for an address.
            #expect(throws: (any Error).self) {
                try store.database.write { db in
                    try db.execute(sql: """
                        INSERT INTO dhcp_lease (address, client_id, mac, hostname, state, expires, updated)
                        VALUES (?, x'0102', 2, NULL, 'bound', 0, 0)
                        """, arguments: [Int64(IPv4Address(10, 0, 0, 100).rawValue)])
                }
            }
            #expect(throws: (any Error).self) {
                try store.database.write { db in
                    try db.execute(sql: """
                        INSERT INTO dhcp_lease (address, client_id, mac, hostname, state, expires, updated)
                        VALUES (7, x'0102', 2, NULL, 'leased-twice', 0, 0)
                        """)
                }
            }
        }
    }

    @Test func manyConcurrentWritersLoseNothing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(stateDirectory: directory)
        let now = t0
        // 8 writers × 25 batches × 10 leases, all distinct addresses, plus every writer also
        // fighting for one contested address: all distinct ones land, the contested one once.
        let contested = IPv4Address(10, 255, 255, 255)
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    var won = 0
                    for batch in 0..<25 {
                        var leases: [DHCPLease] = (0..<10).map { n in
                            let raw = UInt32(0x0A00_0000) + UInt32(writer * 1000 + batch * 10 + n)
                            let mac = MACAddress(rawValue: UInt64(raw))
                            return DHCPLease(address: IPv4Address(rawValue: raw),
                                             clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac), mac: mac,
                                             hostname: nil, state: .bound, expires: now + 3600)
                        }
                        let fighter = MACAddress(rawValue: UInt64(0xF000 + writer))
                        leases.append(DHCPLease(address: contested, clientID: DHCPClientID(clientIdentifier: nil, chaddr: fighter),
                                                mac: fighter, hostname: nil, state: .bound, expires: now + 3600))
                        let outcomes = try store.commit(leases, now: now)
                        won += outcomes.last?.isApplied == true ? 1 : 0
                        if outcomes.dropLast().contains(where: { !$0.isApplied }) { return -1 }
                    }
                    return won > 0 ? 1 : 0
                }
            }
            var winners: [Int] = []
            for try await result in group { winners.append(result) }
            return winners
        }
        #expect(!results.contains(-1))
        #expect(results.reduce(0, +) == 1, "exactly one writer holds the contested address")
        let all = try SQLiteStore(stateDirectory: directory).allLeases()
        #expect(all.count == 8 * 25 * 10 + 1)
    }

    @Test func bsdpBindingsPersistPerMAC() throws {
        try withStateDirectory { directory in
            let mac = MACAddress(rawValue: 0x0011_2233_4455)
            let binding = BSDPClientBinding(mac: mac, imageID: 0x8100_1000, serverIdentifier: IPv4Address(10, 0, 0, 2),
                                            selectedAt: t0)
            do {
                let store = try SQLiteStore(stateDirectory: directory)
                try store.save(binding)
                var changed = binding
                changed.imageID = 0x0000_0002
                try store.save(changed)
                try store.save(BSDPClientBinding(mac: MACAddress(rawValue: 1), imageID: 3,
                                                 serverIdentifier: IPv4Address(10, 0, 0, 2), selectedAt: t0))
            }
            let store = try SQLiteStore(stateDirectory: directory)
            #expect(try store.binding(for: mac)?.imageID == 2)
            #expect(try store.allBindings().count == 2)
            #expect(try store.removeBinding(for: mac))
            #expect(try !store.removeBinding(for: mac))
            #expect(try store.binding(for: mac) == nil)
        }
    }

    @Test func readOnlyOpenOfAMissingFileFails() {
        #expect(throws: (any Error).self) {
            _ = try SQLiteStore(path: "/nonexistent-\(UUID().uuidString)/netboot.sqlite", readOnly: true)
        }
    }
}

@Suite struct LeaseBatchTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func lease(_ last: UInt8, client: UInt8) -> DHCPLease {
        let mac = MACAddress(rawValue: UInt64(client))
        return DHCPLease(address: IPv4Address(10, 0, 0, last), clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac),
                         mac: mac, hostname: nil, state: .bound, expires: t0 + 3600)
    }

    @Test func oneTransactionReleasesOnlyTheRepliesWhoseWritesLanded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-batch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(stateDirectory: directory)
        _ = try store.commit([lease(100, client: 9)], now: t0)

        var batch = LeaseBatch<String>()
        batch.append([lease(101, client: 1)], for: "ack-1")
        batch.append([], for: "inform")
        batch.append([lease(100, client: 2), lease(102, client: 2)], for: "ack-2")
        batch.append([lease(103, client: 3)], for: "ack-3")
        #expect(batch.count == 4 && batch.leases.count == 4)
        let settled = batch.settle(try store.commit(batch.leases, now: t0))
        #expect(settled.ready == ["ack-1", "inform", "ack-3"])
        #expect(settled.refused.map(\.0) == ["ack-2"])
        #expect(settled.refused.first?.1.map(\.mac) == [MACAddress(rawValue: 9)])
        // Short outcomes never release a reply.
        #expect(batch.settle([.applied]).ready == ["ack-1", "inform"])
        #expect(batch.settle([.applied]).refused.map(\.0) == ["ack-2", "ack-3"])
    }
}
