import BootServices
import Foundation

/// The lease writes of several decisions (one event-loop tick), committed as one transaction so
/// that one WAL sync covers them all (DESIGN §5: speed by batching, not by skipping durability).
///
/// The shell appends each decision's writes with the reply waiting on them, commits once, and
/// sends only the replies whose writes were all applied:
/// ```swift
/// var batch = LeaseBatch<Outgoing>()
/// for (decision, outgoing) in tick { batch.append(decision.writes, for: outgoing) }
/// let settled = batch.settle(try store.commit(batch.leases, exchanges: batch.exchanges, now: now))
/// for outgoing in settled.ready { send(outgoing) }
/// for (outgoing, holders) in settled.refused { holders.forEach { engine.adopt($0) }; log(outgoing) }
/// ```
public struct LeaseBatch<Pending> {
    private var entries: [(pending: Pending, range: Range<Int>)] = []
    /// Every write of the batch, in order: what `LeaseStore.commit` takes.
    public private(set) var leases: [DHCPLease] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }
    /// Each decision's writes as a range of `leases`: what `LeaseStore.commit` applies whole or
    /// not at all.
    public var exchanges: [Range<Int>] { entries.map { $0.range } }
    public var count: Int { entries.count }
    /// What waits on each decision, in order.
    public var waiting: [Pending] { entries.map { $0.pending } }

    /// Adds one decision's writes (possibly none) and what waits on them.
    public mutating func append(_ writes: [DHCPLease], for pending: Pending) {
        let start = leases.count
        leases.append(contentsOf: writes)
        entries.append((pending, start..<leases.count))
    }

    /// Splits the batch by the commit's outcomes (one per lease, in order): `ready` entries had
    /// every write applied; `refused` ones had at least one refused, with the records that hold
    /// those addresses. With too few outcomes (a store that broke its contract) the uncovered
    /// entries count as refused, never as ready.
    public func settle(_ outcomes: [LeaseCommitOutcome]) -> (ready: [Pending], refused: [(Pending, [DHCPLease])]) {
        var ready: [Pending] = []
        var refused: [(Pending, [DHCPLease])] = []
        for entry in entries {
            guard entry.range.upperBound <= outcomes.count else {
                refused.append((entry.pending, []))
                continue
            }
            let holders = outcomes[entry.range].compactMap { outcome -> DHCPLease? in
                if case .refused(let holder) = outcome { return holder }
                return nil
            }
            if holders.isEmpty && outcomes[entry.range].allSatisfy { $0.isApplied } {
                ready.append(entry.pending)
            } else {
                refused.append((entry.pending, holders))
            }
        }
        return (ready, refused)
    }
}

extension LeaseBatch: Sendable where Pending: Sendable {}
