import Foundation
import NetbootWire

/// The offers of one subnet in the order they were made, so that when the pool has no free
/// address left the oldest offer can be given to a newer client.
///
/// Why: an offer holds its address (`offerHoldTime`) so that two DISCOVERs in a row do not get
/// the same address. But a flood of DISCOVERs from random MACs would then hold the whole pool and
/// leave genuine clients unanswered for the hold time. An offer is not a promise (RFC 2131
/// §4.3.1/§4.3.2: the client may be NAKed and starts over), so when only offers stand between a
/// client and an address, the oldest offer yields. Bound and declined addresses never yield.
struct OfferQueue: Sendable {
    private var entries: [(address: IPv4Address, client: DHCPClientID)] = []
    private var head = 0

    /// Records an offer. Stale entries (offers since withdrawn, replaced or bound) are dropped
    /// when the queue outgrows twice the pool, so it stays O(pool size).
    mutating func append(_ address: IPv4Address, _ client: DHCPClientID, capacity: Int) {
        entries.append((address, client))
        if entries.count - head > 2 * max(capacity, 16) { compact() }
    }

    /// Removes and returns the oldest entry.
    mutating func popOldest() -> (address: IPv4Address, client: DHCPClientID)? {
        guard head < entries.count else { return nil }
        let entry = entries[head]
        head += 1
        if head > 1024, head * 2 > entries.count { compact() }
        return entry
    }

    /// Keeps only the latest entry per address, in order.
    private mutating func compact() {
        var latest: [IPv4Address: Int] = [:]
        for index in head..<entries.count { latest[entries[index].address] = index }
        entries = (head..<entries.count).filter { latest[entries[$0].address] == $0 }.map { entries[$0] }
        head = 0
    }
}

extension DHCPLeaseEngine {
    /// The address of the oldest offer still held for another client in this subnet, when the
    /// pool has nothing free (see `OfferQueue`); nil when no offer can yield.
    mutating func reclaimOldestOffer(subnet index: Int, request: DHCPLeaseRequest, now: Date) -> IPv4Address? {
        let client = request.clientID
        while let (address, holder) = offerQueues[index]?.popOldest() {
            guard holder != client, table.offerHolder(of: address, now: now) == holder,
                  table.record(at: address)?.isActive(at: now) != true,
                  reservedAddresses[address] == nil,
                  isAssignable(address, to: request, subnet: index) else { continue }
            return address
        }
        return nil
    }
}
