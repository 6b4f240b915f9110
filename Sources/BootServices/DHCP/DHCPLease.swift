import Foundation
import NetbootWire

/// One address's record in the lease database (RFC 2131 §2, "binding"): who holds it, until when,
/// and in which state. There is at most one record per address; that is how no address is ever
/// leased to two clients.
public struct DHCPLease: Hashable, Sendable {
    /// The lifecycle of an address record.
    public enum State: String, Sendable, CaseIterable {
        /// DHCPACKed to `clientID` until `expires` (after which it is free again).
        case bound
        /// The client sent DHCPRELEASE (RFC 2131 §4.4.6); the address is free, the record is kept
        /// so that the same client gets the same address back (§4.3.1 "previous address").
        case released
        /// A client sent DHCPDECLINE (§4.3.3): the address is in use by someone unknown and is not
        /// offered to anyone until `expires`.
        case declined
    }

    public var address: IPv4Address
    public var clientID: DHCPClientID
    public var mac: MACAddress
    /// The client's host name (option 12), as the client sent it.
    public var hostname: String?
    public var state: State
    public var expires: Date

    public init(address: IPv4Address, clientID: DHCPClientID, mac: MACAddress, hostname: String?,
                state: State, expires: Date) {
        self.address = address
        self.clientID = clientID
        self.mac = mac
        self.hostname = hostname
        self.state = state
        self.expires = expires
    }

    /// True when the address may not go to anyone but `clientID` at `now`: a bound lease or a
    /// declined address whose time has not run out.
    public func isActive(at now: Date) -> Bool {
        state != .released && expires > now
    }
}
