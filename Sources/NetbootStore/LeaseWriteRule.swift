import BootServices
import Foundation
import NetbootWire

/// The lease-conflict rule every backend applies, so that SQLite and PostgreSQL cannot decide
/// differently (issue 19, docs/store.md "The rules both backends share").
///
/// The address is the unique key of the lease table; the backend locks the address's row (or
/// learns there is none) inside its transaction and asks this rule whether the write may
/// replace it. The first writer wins: a write for an address whose record is still active for
/// another client is refused, the holder's record goes back to the engine that lost
/// (`DHCPCoreBox.adopt`), and that engine offers another address on the client's next message.
public enum LeaseWriteRule {
    /// `exchanges` as a cover of `0..<count` in order: ranges that are out of bounds or overlap
    /// an earlier one are dropped, and every index no range covers is a group of its own.
    public static func groups(_ exchanges: [Range<Int>], count: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var next = 0
        for range in exchanges.sorted(by: { $0.lowerBound < $1.lowerBound })
        where range.lowerBound >= next && range.upperBound <= count && !range.isEmpty {
            out += (next..<range.lowerBound).map { $0..<($0 + 1) }
            out.append(range)
            next = range.upperBound
        }
        out += (next..<max(next, count)).map { $0..<($0 + 1) }
        return out
    }

    /// Decides one exchange's writes (`group`) against `rows`, the records their addresses hold
    /// (nil: no record), earlier writes of the same commit included. All applied, or, when any is
    /// refused, none: the others are then reported refused with the record their address keeps
    /// (or the write itself when there is none), so the engine adopts what the store keeps.
    public static func decide(group: ArraySlice<DHCPLease>, rows: [IPv4Address: DHCPLease],
                              now: Date) -> [LeaseCommitOutcome] {
        let outcomes = group.map { decide($0, holder: rows[$0.address], now: now) }
        guard outcomes.contains(where: { !$0.isApplied }) else { return outcomes }
        return zip(group, outcomes).map { write, outcome in
            outcome.isApplied ? .refused(holder: rows[write.address] ?? write) : outcome
        }
    }

    /// Decides one write against the record that holds its address (nil: no record) at `now`.
    /// Applied when there is no record, the record is the same client's, or the record is no
    /// longer active at `now` (expired, released, decline period over).
    public static func decide(_ write: DHCPLease, holder: DHCPLease?, now: Date) -> LeaseCommitOutcome {
        guard let holder else { return .applied }
        if holder.clientID == write.clientID || !holder.isActive(at: now) { return .applied }
        return .refused(holder: holder)
    }
}

/// The BSDP-selection rule every backend applies: the newest selection of a MAC wins, so that
/// two appliances writing one Mac's selections in either order keep the one made last
/// (bsdp-protocol-and-servers.md §1: INFORM[SELECT] binds the client to an image).
public enum BSDPBindingRule {
    /// True when `selection` may replace `stored` (nil: the MAC has no binding).
    public static func replaces(_ selection: BSDPClientBinding, stored: BSDPClientBinding?) -> Bool {
        guard let stored else { return true }
        return selection.selectedAt >= stored.selectedAt
    }

    /// True when a SELECT naming another server may delete `stored`: with `namingServer` nil any
    /// binding goes (one appliance); otherwise only a binding that names `namingServer`, the
    /// server that saw the SELECT. On a shared store an appliance seeing a Mac select a peer
    /// appliance then cannot delete the binding that peer just saved, in either order of the
    /// two writes (docs/store.md "BSDP across appliances").
    public static func removes(_ stored: BSDPClientBinding?, namingServer: IPv4Address?) -> Bool {
        guard let stored else { return false }
        guard let namingServer else { return true }
        return stored.serverIdentifier == namingServer
    }
}
