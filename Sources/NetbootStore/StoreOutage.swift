import Foundation

/// Whether the store is taking writes, as the DHCP shell sees its commits (issue 19: no ACK
/// without a durable write; say so once, recover by itself). A pure core: commit outcomes in,
/// at most one log-worthy transition out, so a database that is down for an hour makes two
/// log lines, not one per withheld reply.
public struct StoreOutage: Sendable, Equatable {
    private enum State: Equatable, Sendable {
        case up
        case down(since: Date, withheld: Int)
    }

    /// A change worth one log line.
    public enum Transition: Equatable, Sendable {
        /// The first failed commit: replies are withheld from now on.
        case wentDown(reason: String)
        /// The first commit that worked again, after `duration` and `withheld` replies lost.
        case cameBack(duration: TimeInterval, withheld: Int)
    }

    private var state: State = .up

    public init() {}

    public var isDown: Bool { state != .up }

    /// A commit of `replies` replies' writes failed with `reason` at `now`.
    public mutating func commitFailed(reason: String, replies: Int, at now: Date) -> Transition? {
        switch state {
        case .up:
            state = .down(since: now, withheld: replies)
            return .wentDown(reason: reason)
        case .down(let since, let withheld):
            state = .down(since: since, withheld: withheld + replies)
            return nil
        }
    }

    /// A commit succeeded at `now`.
    public mutating func commitSucceeded(at now: Date) -> Transition? {
        guard case .down(let since, let withheld) = state else { return nil }
        state = .up
        return .cameBack(duration: now.timeIntervalSince(since), withheld: withheld)
    }
}
