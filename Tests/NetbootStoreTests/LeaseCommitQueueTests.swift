import BootServices
import Foundation
import NetbootWire
import Testing
@testable import NetbootStore

/// The shell's batches in flight (`LeaseCommitQueue`): as many as the store allows, never two on
/// one address or one Mac's binding, and one address's writes in the order they were decided.
@Suite struct LeaseCommitQueueTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func lease(_ last: UInt8, client: UInt8, state: DHCPLease.State = .bound) -> DHCPLease {
        let mac = MACAddress(rawValue: 0x0200_0000_0000 + UInt64(client))
        return DHCPLease(address: IPv4Address(10, 0, 0, last), clientID: DHCPClientID(clientIdentifier: nil, chaddr: mac),
                         mac: mac, hostname: nil, state: state, expires: t0 + 3600)
    }

    @Test func oneAtATimeWhenTheStoreAllowsOne() throws {
        var queue = LeaseCommitQueue<String>(limit: 1)
        queue.append([lease(100, client: 1)], for: "a")
        queue.append([lease(101, client: 2)], for: "b")
        let firstStarted = queue.start()
        let first = try #require(firstStarted)
        #expect(first.batch.waiting == ["a", "b"])
        queue.append([lease(102, client: 3)], for: "c")
        #expect(queue.start() == nil, "the limit is one batch in flight")
        queue.finished(first.id)
        #expect(queue.start()?.batch.waiting == ["c"])
    }

    @Test func batchesOnDisjointAddressesRunAtOnce() throws {
        var queue = LeaseCommitQueue<String>(limit: 3)
        queue.append([lease(100, client: 1)], for: "a")
        let firstStarted = queue.start()
        let first = try #require(firstStarted)
        queue.append([lease(101, client: 2)], for: "b")
        queue.append([lease(102, client: 3), lease(103, client: 3, state: .released)], for: "c")
        let secondStarted = queue.start()
        let second = try #require(secondStarted)
        #expect(second.batch.waiting == ["b", "c"])
        #expect(second.batch.exchanges == [0..<1, 1..<3])
        #expect(queue.inFlightCount == 2)
        queue.append([], for: "no writes")
        #expect(queue.start()?.batch.waiting == ["no writes"])
        queue.append([lease(104, client: 4)], for: "d")
        #expect(queue.start() == nil, "three batches in flight")
        queue.finished(first.id)
        #expect(queue.start()?.batch.waiting == ["d"])
    }

    /// A client's ACK is in flight; its RELEASE of that address waits for it, and so does a
    /// later write to the same address, even when it alone would not meet the batch in flight.
    @Test func writesToOneAddressLandInTheOrderTheyWereDecided() throws {
        var queue = LeaseCommitQueue<String>(limit: 4)
        queue.append([lease(100, client: 1)], for: "ack")
        let ackStarted = queue.start()
        let ack = try #require(ackStarted)
        queue.append([lease(100, client: 1, state: .released), lease(101, client: 1)], for: "release, new")
        queue.append([lease(101, client: 2)], for: "other on .101")
        queue.append([lease(102, client: 3)], for: "unrelated")
        let nextStarted = queue.start()
        let next = try #require(nextStarted)
        #expect(next.batch.waiting == ["unrelated"])
        #expect(queue.waitingCount == 2)
        #expect(queue.start() == nil)
        queue.finished(ack.id)
        let afterStarted = queue.start()
        let after = try #require(afterStarted)
        #expect(after.batch.waiting == ["release, new", "other on .101"])
        #expect(after.batch.leases.map(\.address.description) == ["10.0.0.100", "10.0.0.101", "10.0.0.101"])
    }

    @Test func oneMacsBindingChangesStayInOrder() throws {
        var queue = LeaseCommitQueue<String>(limit: 4)
        let mac = MACAddress(rawValue: 0x0011_2233_4455)
        queue.append([], bindingOf: mac, for: "select A")
        let firstStarted = queue.start()
        let first = try #require(firstStarted)
        queue.append([], bindingOf: mac, for: "select B")
        queue.append([], bindingOf: MACAddress(rawValue: 1), for: "another Mac")
        #expect(queue.start()?.batch.waiting == ["another Mac"])
        queue.finished(first.id)
        #expect(queue.start()?.batch.waiting == ["select B"])
        #expect(LeaseCommitQueue<String>(limit: 0).limit == 1)
    }

    // MARK: The commit delay (group commit while commits run back to back)

    @Test func backToBackCommitsWaitForTheDelay() throws {
        var queue = LeaseCommitQueue<String>(limit: 1, delay: 1_000)
        queue.append([lease(100, client: 1)], for: "a")
        let firstStarted = queue.start(at: 5_000)
        let first = try #require(firstStarted, "a store that never committed starts at once")
        queue.finished(first.id, at: 10_000)
        queue.append([lease(101, client: 2)], for: "b")
        #expect(queue.start(at: 10_500) == nil, "the last commit finished 500 ns ago")
        #expect(queue.heldUntil(at: 10_500) == 11_000)
        queue.append([lease(102, client: 3)], for: "c")
        #expect(queue.start(at: 11_000)?.batch.waiting == ["b", "c"], "one batch for everything that came meanwhile")
    }

    @Test func anIdleStoreStartsAtOnce() throws {
        var queue = LeaseCommitQueue<String>(limit: 1, delay: 1_000)
        queue.append([lease(100, client: 1)], for: "a")
        let firstStarted = queue.start(at: 0)
        queue.finished(try #require(firstStarted).id, at: 10_000)
        queue.append([lease(101, client: 2)], for: "b")
        #expect(queue.heldUntil(at: 11_000) == nil)
        #expect(queue.start(at: 11_000)?.batch.waiting == ["b"])
        #expect(queue.heldUntil(at: 11_000) == nil, "nothing waits")
    }

    @Test func aFullBurstStartsWithoutWaiting() throws {
        var queue = LeaseCommitQueue<Int>(limit: 1, delay: 1_000_000)
        queue.append([lease(1, client: 1)], for: 0)
        let firstStarted = queue.start(at: 0)
        queue.finished(try #require(firstStarted).id, at: 10_000)
        for n in 1..<LeaseCommitQueue<Int>.fillToStart {
            queue.append([lease(UInt8(n % 250 + 2), client: UInt8(n % 250 + 2))], for: n)
        }
        #expect(queue.start(at: 10_001) == nil, "one short of a full burst")
        queue.append([], for: 999)
        #expect(queue.start(at: 10_001)?.batch.count == LeaseCommitQueue<Int>.fillToStart)
    }

    @Test func noDelayNeverHolds() throws {
        var queue = LeaseCommitQueue<String>(limit: 1)
        queue.append([lease(100, client: 1)], for: "a")
        let firstStarted = queue.start(at: 10)
        queue.finished(try #require(firstStarted).id, at: 10)
        queue.append([lease(101, client: 2)], for: "b")
        #expect(queue.heldUntil(at: 10) == nil)
        #expect(queue.start(at: 10)?.batch.waiting == ["b"])
    }
}
