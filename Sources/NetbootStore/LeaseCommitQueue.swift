import BootServices
import Foundation
import NetbootWire

/// The lease writes waiting for the store and the batches in flight, so that a store with
/// several connections (PostgreSQL's `store.pool`) commits several batches at once — the
/// server then makes them durable together — while no two batches in flight touch one
/// address: batches on disjoint addresses commute (`LeaseWriteRule` decides a write on its own
/// address's record only), and writes to one address are committed in the order they were
/// decided (a client's ACK before its RELEASE). A decision may also carry a BSDP binding
/// change of one Mac (`bindingOf`): those of one Mac are kept in order the same way.
///
/// Group commit with a commit delay (PostgreSQL's `commit_delay`, `dhcp.commit-delay-us`):
/// while commits run back to back — nothing is in flight and the last batch finished less than
/// `delay` ago — the next batch waits until `delay` after that finish, or until `fillToStart`
/// decisions wait, so that one transaction and one sync carry the writes of a whole burst
/// instead of one or two each. A store that has been idle for `delay` starts at once, so a
/// lone request is never held back.
///
/// Pure (time is an input, monotonic nanoseconds): the DHCP shell appends each decision's
/// writes with what waits on them, asks for the next batch whenever a commit may start, and
/// says when a commit is over:
/// ```swift
/// queue.append(decision.writes, bindingOf: selectingMac, for: replies)
/// while case let (id, batch)? = queue.start(at: now) { commit(batch) { ...; queue.finished(id, at: now) } }
/// if let wake = queue.heldUntil(at: now) { schedule(flush, at: wake) }
/// ```
public struct LeaseCommitQueue<Pending> {
    /// What a decision writes: lease records by address, a BSDP binding by MAC.
    enum Key: Hashable {
        case address(IPv4Address)
        case binding(MACAddress)
    }

    private var waiting: [(writes: [DHCPLease], keys: Set<Key>, pending: Pending)] = []
    private var inFlight: [Int: Set<Key>] = [:]
    private var nextID = 0
    /// When the last batch finished, while no other batch was in flight.
    private var lastFinished: UInt64?
    /// The most batches in flight at once (at least 1).
    public let limit: Int
    /// The commit delay in nanoseconds; 0: every batch starts as soon as it may.
    public let delay: UInt64
    /// Decisions that start a held-back batch at once.
    public static var fillToStart: Int { 64 }

    public init(limit: Int, delay: UInt64 = 0) {
        self.limit = max(1, limit)
        self.delay = delay
    }

    /// Decisions waiting for a commit to start.
    public var waitingCount: Int { waiting.count }
    /// Batches started and not yet finished.
    public var inFlightCount: Int { inFlight.count }

    /// Adds one decision's writes (possibly none), the Mac whose BSDP binding it changes (if
    /// any), and what waits on them.
    public mutating func append(_ writes: [DHCPLease], bindingOf mac: MACAddress? = nil, for pending: Pending) {
        var keys = Set(writes.map { Key.address($0.address) })
        if let mac { keys.insert(.binding(mac)) }
        waiting.append((writes, keys, pending))
    }

    /// The next batch to commit, or nil when nothing may start now (nothing waits, `limit`
    /// batches are in flight, or every waiting decision touches an address a batch in flight
    /// writes). A decision that must wait keeps every later decision on its addresses waiting
    /// behind it, so writes to one address stay in order.
    public mutating func start(at now: UInt64 = 0) -> (id: Int, batch: LeaseBatch<Pending>)? {
        guard inFlight.count < limit, !waiting.isEmpty, heldUntil(at: now) == nil else { return nil }
        var blocked = inFlight.values.reduce(into: Set<Key>()) { $0.formUnion($1) }
        var batch = LeaseBatch<Pending>()
        var taken = Set<Key>()
        var kept: [(writes: [DHCPLease], keys: Set<Key>, pending: Pending)] = []
        for entry in waiting {
            if entry.keys.isDisjoint(with: blocked) {
                batch.append(entry.writes, for: entry.pending)
                taken.formUnion(entry.keys)
            } else {
                blocked.formUnion(entry.keys)
                kept.append(entry)
            }
        }
        guard !batch.isEmpty else { return nil }
        waiting = kept
        nextID += 1
        inFlight[nextID] = taken
        return (nextID, batch)
    }

    /// The batch `id` was committed (or failed) at `now`: its addresses are free for the next.
    public mutating func finished(_ id: Int, at now: UInt64 = 0) {
        inFlight[id] = nil
        lastFinished = inFlight.isEmpty ? now : nil
    }

    /// When the commit delay lets the waiting decisions start, if it holds them back at `now`;
    /// nil when they may start now (or nothing waits). The shell asks again then.
    public func heldUntil(at now: UInt64) -> UInt64? {
        guard delay > 0, inFlight.isEmpty, let lastFinished, !waiting.isEmpty, waiting.count < Self.fillToStart
        else { return nil }
        let until = lastFinished &+ delay
        return now < until ? until : nil
    }
}

extension LeaseCommitQueue: Sendable where Pending: Sendable {}
