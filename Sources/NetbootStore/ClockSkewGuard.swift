import Foundation

/// The clock-skew guard of a shared store (issue 19; Kea's HA refuses at 60 s): an appliance
/// whose clock differs from the database's by more than `bound` refuses to lease, because its
/// `expires` and "is this lease still active" would disagree with the other appliances'.
public struct ClockSkewGuard: Sendable, Equatable {
    public var bound: TimeInterval

    public init(bound: TimeInterval) { self.bound = bound }

    /// Throws ``ClockSkewError`` when `local` and `database` differ by more than the bound.
    public func check(local: Date, database: Date) throws {
        let skew = local.timeIntervalSince(database)
        if abs(skew) > bound { throw ClockSkewError(skew: skew, bound: bound) }
    }
}

/// This appliance's clock is too far from the database's to lease.
public struct ClockSkewError: Error, Equatable, CustomStringConvertible {
    /// Seconds this clock is ahead of the database's (negative: behind).
    public var skew: TimeInterval
    public var bound: TimeInterval

    public var description: String {
        let seconds = Int(abs(skew).rounded())
        return "this clock is \(seconds) s \(skew > 0 ? "ahead of" : "behind") the database's (more than the "
            + "\(Int(bound)) s store.max-clock-skew allows); refusing to lease until the clocks agree (NTP)"
    }
}
