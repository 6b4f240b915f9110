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
