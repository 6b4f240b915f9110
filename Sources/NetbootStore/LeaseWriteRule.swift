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
