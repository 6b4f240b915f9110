import Foundation
import NetbootWire

/// The engine's working set: every lease record by address, the addresses of each client, and
/// the offers held while a client decides (RFC 2131 §4.3.1). Records mirror the store; offers
/// live only here, since an OFFER promises nothing the client can rely on after a restart.
struct LeaseTable: Sendable {
    struct Offer: Hashable, Sendable {
        var clientID: DHCPClientID
        var expires: Date
    }

    private(set) var records: [IPv4Address: DHCPLease] = [:]
    private var addressesByClient: [DHCPClientID: Set<IPv4Address>] = [:]
    private var offers: [IPv4Address: Offer] = [:]
    private var offerByClient: [DHCPClientID: IPv4Address] = [:]

    init(leases: [DHCPLease]) {
        for lease in leases { put(lease) }
    }

    func record(at address: IPv4Address) -> DHCPLease? { records[address] }

    /// The records naming `client`, bound first, then by latest expiry.
    func records(of client: DHCPClientID) -> [DHCPLease] {
        guard let addresses = addressesByClient[client] else { return [] }
        return addresses.compactMap { records[$0] }.sorted { lhs, rhs in
            if (lhs.state == .bound) != (rhs.state == .bound) { return lhs.state == .bound }
            if lhs.expires != rhs.expires { return lhs.expires > rhs.expires }
            return lhs.address < rhs.address
        }
    }

    /// Replaces the record for `lease.address`, re-indexing the previous holder.
    mutating func put(_ lease: DHCPLease) {
        if let previous = records[lease.address], previous.clientID != lease.clientID {
            addressesByClient[previous.clientID]?.remove(lease.address)
            if addressesByClient[previous.clientID]?.isEmpty == true {
                addressesByClient[previous.clientID] = nil
            }
        }
        records[lease.address] = lease
        addressesByClient[lease.clientID, default: []].insert(lease.address)
    }

    /// The address offered to `client`, while the hold lasts.
    func offer(of client: DHCPClientID, now: Date) -> IPv4Address? {
        guard let address = offerByClient[client], let offer = offers[address], offer.expires > now else { return nil }
        return address
    }

    /// The client an unexpired offer of `address` is held for.
    func offerHolder(of address: IPv4Address, now: Date) -> DHCPClientID? {
        guard let offer = offers[address], offer.expires > now else { return nil }
        return offer.clientID
    }

    /// Holds `address` for `client` until `expires`, withdrawing any other offer to that client.
    mutating func hold(_ address: IPv4Address, for client: DHCPClientID, until expires: Date) {
        withdrawOffer(of: client)
        if let previous = offers[address], previous.clientID != client {
            offerByClient[previous.clientID] = nil
        }
        offers[address] = Offer(clientID: client, expires: expires)
        offerByClient[client] = address
    }

    /// Forgets the offer to `client`; returns the address it held.
    @discardableResult
    mutating func withdrawOffer(of client: DHCPClientID) -> IPv4Address? {
        guard let address = offerByClient.removeValue(forKey: client) else { return nil }
        offers[address] = nil
        return address
    }

    /// True unless the address is held, at `now`, for a client other than `client` — by an active
    /// record (bound, or declined) or by an unexpired offer. A nil `client` means a stranger.
    func isFree(_ address: IPv4Address, for client: DHCPClientID?, now: Date) -> Bool {
        if let record = records[address], record.isActive(at: now) {
            guard record.state == .bound, record.clientID == client else { return false }
        }
        if let offer = offers[address], offer.expires > now, offer.clientID != client { return false }
        return true
    }

    /// When the address stops being held for someone (the later of its record and its offer),
    /// or nil when it is free at `now`.
    func heldUntil(_ address: IPv4Address, now: Date) -> Date? {
        var until: Date?
        if let record = records[address], record.isActive(at: now) { until = record.expires }
        if let offer = offers[address], offer.expires > now { until = max(until ?? offer.expires, offer.expires) }
        return until
    }
}
