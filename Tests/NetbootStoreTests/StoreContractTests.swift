import BootServices
import Foundation
import NetbootWire
import Testing
@testable import NetbootStore

/// The store contract: the same tests against every backend (SQLite in a temporary directory,
/// PostgreSQL in a throwaway cluster; no mocks). A backend that passes these may stand behind
/// the DHCP service (docs/store.md).
@Suite(.serialized) struct StoreContractTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func lease(_ last: UInt8, client: UInt8, state: DHCPLease.State = .bound, expires: Date) -> DHCPLease {
        let mac = MACAddress(rawValue: 0x0200_0000_0000 + UInt64(client))
        return DHCPLease(address: IPv4Address(10, 0, 0, last), clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac),
                         mac: mac, hostname: "host-\(client)", state: state, expires: expires)
    }

    @Test(arguments: StoreKind.allCases)
    func migratesToTheCurrentSchema(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.schemaVersion() == StoreSchema.version)
            #expect(StoreCheck.of(store).isCurrent)
            // Opening again (a restart) runs no migration twice.
            #expect(try fixture.open().schemaVersion() == StoreSchema.version)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func committedLeasesSurviveReopen(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let leases = [lease(100, client: 1, expires: t0 + 3600),
                          lease(101, client: 2, state: .declined, expires: t0 + 900),
                          lease(102, client: 3, state: .released, expires: t0)]
            #expect(try fixture.open().commit(leases, now: t0) == [.applied, .applied, .applied])
            let reopened = try fixture.open()
            #expect(try reopened.allLeases() == leases)
            #expect(try reopened.lease(at: IPv4Address(10, 0, 0, 101)) == leases[1])
            #expect(try reopened.lease(at: IPv4Address(10, 0, 0, 9)) == nil)
            #expect(try reopened.commit([], now: t0) == [])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anActiveAddressIsNeverGivenToASecondClient(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let store = try fixture.open()
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

    @Test(arguments: StoreKind.allCases)
    func expiredAndReleasedAddressesAreReused(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let store = try fixture.open()
            _ = try store.commit([lease(100, client: 1, expires: t0 + 60),
                                  lease(101, client: 2, state: .released, expires: t0 + 3600)], now: t0)
            let newcomers = [lease(100, client: 7, expires: t0 + 3600), lease(101, client: 8, expires: t0 + 3600)]
            #expect(try store.commit(newcomers, now: t0 + 60) == [.applied, .applied])
            #expect(try store.allLeases() == newcomers)
        }
    }

    /// Several writers (threads here; appliances on a shared database) fight for one address
    /// in every batch: every uncontested write lands, the contested address goes to one client.
    @Test(arguments: StoreKind.allCases)
    func manyConcurrentWritersLoseNothing(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let now = t0
            let contested = IPv4Address(10, 255, 255, 255)
            let writers = 4, batches = 10, perBatch = 10
            let stores = try (0..<writers).map { _ in try fixture.open() }
            let results = NSLock()
            nonisolated(unsafe) var winners = 0
            nonisolated(unsafe) var lost = 0
            nonisolated(unsafe) var failures: [String] = []
            DispatchQueue.concurrentPerform(iterations: writers) { writer in
                var won = false
                for batch in 0..<batches {
                    var leases: [DHCPLease] = (0..<perBatch).map { n in
                        let raw = UInt32(0x0A00_0000) + UInt32(writer * 1000 + batch * perBatch + n)
                        let mac = MACAddress(rawValue: UInt64(raw))
                        return DHCPLease(address: IPv4Address(rawValue: raw),
                                         clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac), mac: mac,
                                         hostname: nil, state: .bound, expires: now + 3600)
                    }
                    let fighter = MACAddress(rawValue: UInt64(0xF000 + writer))
                    leases.append(DHCPLease(address: contested, clientID: DHCPClientID(clientIdentifier: nil, chaddr: fighter),
                                            mac: fighter, hostname: nil, state: .bound, expires: now + 3600))
                    do {
                        let outcomes = try stores[writer].commit(leases, now: now)
                        won = won || outcomes.last?.isApplied == true
                        let refusedUncontested = outcomes.dropLast().filter { !$0.isApplied }.count
                        results.withLock { lost += refusedUncontested }
                    } catch {
                        results.withLock { failures.append("\(error)") }
                    }
                }
                if won { results.withLock { winners += 1 } }
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(lost == 0)
            #expect(winners == 1, "exactly one writer holds the contested address")
            #expect(try fixture.open().allLeases().count == writers * batches * perBatch + 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func bsdpBindingsPersistPerMAC(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let mac = MACAddress(rawValue: 0x0011_2233_4455)
            let binding = BSDPClientBinding(mac: mac, imageID: 0x8100_1000, serverIdentifier: IPv4Address(10, 0, 0, 2),
                                            selectedAt: t0)
            do {
                let store = try fixture.open()
                try store.save(binding)
                var changed = binding
                changed.imageID = 0x0000_0002
                changed.selectedAt = t0 + 1
                try store.save(changed)
                try store.save(BSDPClientBinding(mac: MACAddress(rawValue: 1), imageID: 3,
                                                 serverIdentifier: IPv4Address(10, 0, 0, 2), selectedAt: t0))
            }
            let store = try fixture.open()
            #expect(try store.binding(for: mac) == BSDPClientBinding(mac: mac, imageID: 2, serverIdentifier: IPv4Address(10, 0, 0, 2),
                                                                     selectedAt: t0 + 1))
            #expect(try store.allBindings().map(\.mac) == [MACAddress(rawValue: 1), mac])
            #expect(try store.removeBinding(for: mac))
            #expect(try !store.removeBinding(for: mac))
            #expect(try store.binding(for: mac) == nil)
        }
    }

    /// One exchange's writes — a client's new lease and the release of its older one — are
    /// applied whole or not at all: when the new address is held by another client (another
    /// appliance won it), the older lease stays bound, since the client never got the new ACK
    /// and keeps using it. Found by perfdhcp against two appliances (test_store.py).
    @Test(arguments: StoreKind.allCases)
    func anExchangeIsAppliedWholeOrNotAtAll(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let store = try fixture.open()
            let old = lease(100, client: 1, expires: t0 + 3600)
            let winner = lease(101, client: 2, expires: t0 + 3600)
            #expect(try store.commit([old, winner], now: t0) == [.applied, .applied])
            // Client 1 is offered .101 by an engine that did not know client 2 holds it.
            var released = old
            released.state = .released
            released.expires = t0 + 10
            let lost = lease(101, client: 1, expires: t0 + 3610)
            let third = lease(102, client: 3, expires: t0 + 3610)
            let outcomes = try store.commit([lost, released, third], exchanges: [0..<2, 2..<3], now: t0 + 10)
            #expect(outcomes == [.refused(holder: winner), .refused(holder: old), .applied])
            #expect(try store.lease(at: old.address) == old)
            #expect(try store.lease(at: winner.address) == winner)
            #expect(try store.lease(at: third.address) == third)
            // Two exchanges on one address in one commit: the second meets the first's write.
            var freed = third
            freed.state = .released
            let taken = lease(102, client: 4, expires: t0 + 3620)
            #expect(try store.commit([freed, taken], exchanges: [0..<1, 1..<2], now: t0 + 20) == [.applied, .applied])
            #expect(try store.lease(at: taken.address) == taken)
            // Ranges that do not cover the writes: every uncovered write is its own exchange.
            #expect(LeaseWriteRule.groups([1..<3, 2..<4, 7..<9], count: 5) == [0..<1, 1..<3, 3..<4, 4..<5])
            #expect(LeaseWriteRule.groups([], count: 2) == [0..<1, 1..<2])
        }
    }

    /// A batch where every other write meets an address another client holds: the others land
    /// around the refusals, each refusal names its holder, and an exchange whose new lease is
    /// refused keeps its release unwritten even when its release comes first in the batch.
    @Test(arguments: StoreKind.allCases)
    func aBatchWhereHalfTheWritesConflictAppliesTheOtherHalf(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let store = try fixture.open()
            let holders = (0..<10).map { (n: Int) -> DHCPLease in
                lease(UInt8(100 + 2 * n), client: UInt8(100 + n), expires: t0 + 3600)
            }
            #expect(try store.commit(holders, now: t0) == Array(repeating: .applied, count: 10))
            // Client n wants .100+n: the even addresses are held, the odd ones are free.
            let batch = (0..<20).map { (n: Int) -> DHCPLease in lease(UInt8(100 + n), client: UInt8(n), expires: t0 + 3700) }
            let expected = (0..<20).map { (n: Int) -> LeaseCommitOutcome in
                n % 2 == 0 ? .refused(holder: holders[n / 2]) : .applied
            }
            #expect(try store.commit(batch, now: t0 + 100) == expected)
            // An exchange: release first, then the new lease, which is refused.
            var released = batch[1]
            released.state = .released
            released.expires = t0 + 200
            let refused = lease(100, client: 1, expires: t0 + 3800)
            let free = lease(130, client: 30, expires: t0 + 3800)
            #expect(try store.commit([released, refused, free], exchanges: [0..<2, 2..<3], now: t0 + 200)
                    == [.refused(holder: batch[1]), .refused(holder: holders[0]), .applied])
            let stored = try store.allLeases()
            #expect(stored.count == 21)
            #expect(stored.filter { $0.state == .bound }.count == 21)
            #expect(try store.lease(at: batch[1].address) == batch[1])
            #expect(try store.lease(at: free.address) == free)
        }
    }

    /// Appliances racing for new addresses with exchanges of two writes (a new lease and the
    /// release of the client's older one): an exchange lands whole or not at all — a client that
    /// never won keeps its older lease bound — and each address goes to one client.
    @Test(arguments: StoreKind.allCases)
    func racingExchangesAreWholeOrNothing(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let writers = 4, rounds = 12
            let stores = try (0..<writers).map { _ in try fixture.open() }
            // Each writer's client holds an old lease .1+writer.
            let olds = (0..<writers).map { (w: Int) -> DHCPLease in lease(UInt8(1 + w), client: UInt8(1 + w), expires: t0 + 3600) }
            _ = try stores[0].commit(olds, now: t0)
            let results = NSLock()
            nonisolated(unsafe) var failures: [String] = []
            nonisolated(unsafe) var won: [Int: [UInt8]] = [:]
            DispatchQueue.concurrentPerform(iterations: writers) { w in
                var release = olds[w]
                release.state = .released
                release.expires = t0 + 10
                for round in 0..<rounds {
                    // Every writer wants the same new address this round.
                    let wanted = lease(UInt8(100 + round), client: UInt8(1 + w), expires: t0 + 3600)
                    do {
                        let outcomes = try stores[w].commit([wanted, release], exchanges: [0..<2], now: t0 + 10)
                        if outcomes == [.applied, .applied] {
                            results.withLock { won[w, default: []].append(UInt8(100 + round)) }
                        } else if outcomes.contains(.applied) {
                            results.withLock { failures.append("half an exchange applied: \(outcomes)") }
                        }
                    } catch {
                        results.withLock { failures.append("\(error)") }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures)")
            let stored = try fixture.open().allLeases()
            // Every contested address went to exactly one writer, and the store names its client.
            #expect(won.values.reduce(0) { $0 + $1.count } == rounds)
            for (w, addresses) in won {
                for last in addresses {
                    #expect(stored.first { $0.address == IPv4Address(10, 0, 0, last) }?.mac == olds[w].mac)
                }
            }
            // The older lease is released exactly for the writers that won something.
            for w in 0..<writers {
                let old = stored.first { $0.address == olds[w].address }
                #expect(old?.state == (won[w] == nil ? .bound : .released), "writer \(w)")
            }
        }
    }

    /// A Mac selects appliance A; B, seeing the broadcast SELECT, forgets only a binding that
    /// names B — before or after A saved its new one, A's selection stays.
    @Test(arguments: StoreKind.allCases)
    func aSelectSeenByAPeerRemovesOnlyItsOwnBinding(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let a = try fixture.open(), b = try fixture.open()
            let mac = MACAddress(rawValue: 0x0011_2233_4455)
            let serverA = IPv4Address(10, 0, 0, 2), serverB = IPv4Address(10, 0, 0, 3)
            let viaA = BSDPClientBinding(mac: mac, imageID: 7, serverIdentifier: serverA, selectedAt: t0 + 5)
            // A saved first: B's removal leaves it.
            try b.save(BSDPClientBinding(mac: mac, imageID: 9, serverIdentifier: serverB, selectedAt: t0))
            try a.save(viaA)
            #expect(try !b.removeBinding(for: mac, namingServer: serverB))
            #expect(try a.binding(for: mac) == viaA)
            // B removed first: its own binding goes, then A's lands.
            try a.removeBinding(for: mac)
            try b.save(BSDPClientBinding(mac: mac, imageID: 9, serverIdentifier: serverB, selectedAt: t0))
            #expect(try b.removeBinding(for: mac, namingServer: serverB))
            try a.save(viaA)
            #expect(try b.binding(for: mac) == viaA)
            // One appliance (no server named): any binding goes.
            #expect(try b.removeBinding(for: mac, namingServer: nil))
            #expect(try a.binding(for: mac) == nil)
        }
    }

    /// A selection made through appliance A is what appliance B reads, and a late write of an
    /// older selection (B flushing after A) does not undo a newer one.
    @Test(arguments: StoreKind.allCases)
    func theNewestSelectionWinsAcrossAppliances(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let a = try fixture.open(), b = try fixture.open()
            let mac = MACAddress(rawValue: 0x0011_2233_4455)
            let newer = BSDPClientBinding(mac: mac, imageID: 7, serverIdentifier: IPv4Address(10, 0, 0, 2), selectedAt: t0 + 5)
            let older = BSDPClientBinding(mac: mac, imageID: 9, serverIdentifier: IPv4Address(10, 0, 0, 3), selectedAt: t0)
            try a.save(newer)
            #expect(try b.binding(for: mac) == newer)
            try b.save(older)
            #expect(try a.binding(for: mac) == newer)
        }
    }
}

/// The shared rules as pure code (no database).
@Suite struct StoreRuleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func lease(client: UInt8, state: DHCPLease.State = .bound, expires: TimeInterval) -> DHCPLease {
        let mac = MACAddress(rawValue: UInt64(client))
        return DHCPLease(address: IPv4Address(10, 0, 0, 100), clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac),
                         mac: mac, hostname: nil, state: state, expires: t0 + expires)
    }

    @Test func theFirstWriterOfAnAddressWins() {
        let holder = lease(client: 1, expires: 3600)
        #expect(LeaseWriteRule.decide(lease(client: 2, expires: 3600), holder: nil, now: t0) == .applied)
        #expect(LeaseWriteRule.decide(lease(client: 2, expires: 3600), holder: holder, now: t0) == .refused(holder: holder))
        #expect(LeaseWriteRule.decide(lease(client: 1, expires: 7200), holder: holder, now: t0) == .applied)
        // At the very second of expiry the address is free (`isActive` is `expires > now`).
        #expect(LeaseWriteRule.decide(lease(client: 2, expires: 7200), holder: holder, now: t0 + 3600) == .applied)
        #expect(LeaseWriteRule.decide(lease(client: 2, expires: 7200), holder: lease(client: 1, state: .released, expires: 3600),
                                      now: t0) == .applied)
        let declined = lease(client: 1, state: .declined, expires: 900)
        #expect(LeaseWriteRule.decide(lease(client: 2, expires: 3600), holder: declined, now: t0 + 899) == .refused(holder: declined))
    }

    @Test func theNewestSelectionReplacesTheStoredOne() {
        let mac = MACAddress(rawValue: 5)
        let stored = BSDPClientBinding(mac: mac, imageID: 1, serverIdentifier: IPv4Address(10, 0, 0, 2), selectedAt: t0)
        var newer = stored
        newer.selectedAt = t0 + 1
        var older = stored
        older.selectedAt = t0 - 1
        #expect(BSDPBindingRule.replaces(newer, stored: nil))
        #expect(BSDPBindingRule.replaces(newer, stored: stored))
        #expect(BSDPBindingRule.replaces(stored, stored: stored))
        #expect(!BSDPBindingRule.replaces(older, stored: stored))
    }
}

@Suite struct StoreOutageTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func anOutageIsToldOnceAndItsEndOnce() {
        var outage = StoreOutage()
        #expect(outage.commitSucceeded(at: t0) == nil)
        #expect(outage.commitFailed(reason: "refused", replies: 3, at: t0) == .wentDown(reason: "refused"))
        #expect(outage.isDown)
        #expect(outage.commitFailed(reason: "refused", replies: 2, at: t0 + 1) == nil)
        #expect(outage.commitFailed(reason: "timeout", replies: 1, at: t0 + 2) == nil)
        #expect(outage.commitSucceeded(at: t0 + 10) == .cameBack(duration: 10, withheld: 6))
        #expect(!outage.isDown)
        #expect(outage.commitSucceeded(at: t0 + 11) == nil)
        #expect(outage.commitFailed(reason: "again", replies: 1, at: t0 + 12) == .wentDown(reason: "again"))
    }
}

@Suite struct ClockSkewGuardTests {
    @Test func refusesPastTheBoundEitherWay() throws {
        let database = Date(timeIntervalSince1970: 1_800_000_000)
        let guardRail = ClockSkewGuard(bound: 30)
        try guardRail.check(local: database + 30, database: database)
        try guardRail.check(local: database - 30, database: database)
        #expect(throws: ClockSkewError(skew: 31, bound: 30)) { try guardRail.check(local: database + 31, database: database) }
        #expect(throws: ClockSkewError(skew: -90, bound: 30)) { try guardRail.check(local: database - 90, database: database) }
        #expect("\(ClockSkewError(skew: -90, bound: 30))".contains("90 s behind the database's"))
    }
}

/// `netboot store check`'s clock part: the skew between this machine and the database, judged
/// by the same ``ClockSkewGuard`` the lease commits apply.
@Suite(.serialized) struct StoreCheckClockTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theSkewIsJudgedAgainstTheBound() {
        var check = StoreCheck(reachable: true, schemaVersion: StoreSchema.version, problem: nil)
        check.judgeClock(local: t0 + 29.5, database: t0, bound: 30)
        #expect(check.clockSkew == 29.5 && check.clockProblem == nil && check.isHealthy)
        check.judgeClock(local: t0 - 31, database: t0, bound: 30)
        #expect(check.clockSkew == -31 && !check.isHealthy)
        #expect(check.clockProblem?.description.hasPrefix("this clock is 31 s behind the database's") == true)
        check.judgeClock(local: t0, database: t0, bound: 30)
        #expect(check.isHealthy)
    }

    /// Against a real database, with this machine's clock made to run 120 s ahead.
    @Test(arguments: StoreKind.allCases)
    func aClockAheadOfTheDatabaseFailsTheCheck(_ kind: StoreKind) throws {
        try withStore(kind) { fixture in
            let store = try fixture.open()
            let fine = StoreCheck.of(store, measureClock: true, maxClockSkew: 30)
            #expect(fine.isHealthy && abs(fine.clockSkew ?? 99) < 5)
            let ahead = StoreCheck.of(store, measureClock: true, maxClockSkew: 30, clock: { Date().addingTimeInterval(120) })
            #expect(ahead.isCurrent && !ahead.isHealthy)
            #expect(abs((ahead.clockSkew ?? 0) - 120) < 5)
            #expect(ahead.clockProblem?.description.contains("ahead of the database's") == true)
            // Not measured: nothing judged.
            #expect(StoreCheck.of(store, measureClock: false, maxClockSkew: 30).clockSkew == nil)
        }
    }
}
