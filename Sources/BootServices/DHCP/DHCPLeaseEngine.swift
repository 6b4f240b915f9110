import Foundation
import NetbootWire

/// The address-assignment core of `mode: authoritative` (RFC 2131 §4.3): client messages in,
/// `LeaseDecision`s out. Pure: `now` is an argument, nothing is read or written outside the value;
/// the decision carries the lease records the shell must commit before it sends the reply.
///
/// Start it with the records of the lease store (`init(configuration:leases:)`). If the store
/// refuses a write (another appliance sharing the database holds the address), give the engine
/// the store's record with `adopt(_:)` and do not send the reply.
public struct DHCPLeaseEngine: Sendable {
    public let configuration: DHCPPoolConfiguration
    var table: LeaseTable
    let reservationsByMAC: [MACAddress: DHCPReservation]
    let reservedAddresses: [IPv4Address: MACAddress]
    /// Per subnet index: the next address the pool scan tries (a rotating cursor, so addresses
    /// are reused least-recently-offered first and a scan is amortised O(1) while the pool has room).
    var cursors: [Int: UInt32] = [:]
    /// Per subnet index: the pool was found full and nothing frees before this time, so
    /// a flood of DISCOVERs does not rescan it.
    var exhaustedUntil: [Int: Date] = [:]
    /// Per subnet index: offers in the order they were made, oldest first (see `reclaimOldestOffer`).
    var offerQueues: [Int: OfferQueue] = [:]

    public init(configuration: DHCPPoolConfiguration, leases: [DHCPLease] = []) {
        self.configuration = configuration
        table = LeaseTable(leases: leases)
        var byMAC: [MACAddress: DHCPReservation] = [:]
        var byAddress: [IPv4Address: MACAddress] = [:]
        for reservation in configuration.reservations where byMAC[reservation.mac] == nil
            && byAddress[reservation.address] == nil {
            byMAC[reservation.mac] = reservation
            byAddress[reservation.address] = reservation.mac
        }
        reservationsByMAC = byMAC
        reservedAddresses = byAddress
    }

    /// All lease records, by address.
    public var leases: [DHCPLease] { table.records.values.sorted { $0.address < $1.address } }

    public func lease(at address: IPv4Address) -> DHCPLease? { table.record(at: address) }

    /// Replaces the engine's record for `lease.address` with the store's (after a refused write).
    public mutating func adopt(_ lease: DHCPLease) {
        table.put(lease)
        exhaustedUntil.removeAll()
    }

    /// Decides the answer to one client message at time `now`.
    public mutating func handle(_ request: DHCPLeaseRequest, now: Date) -> LeaseDecision {
        switch request.messageType {
        case .discover: discover(request, now: now)
        case .request: self.request(request, now: now)
        case .decline: decline(request, now: now)
        case .release: release(request, now: now)
        case .inform: inform(request)
        }
    }

    // MARK: DHCPDISCOVER (§4.3.1)

    private mutating func discover(_ request: DHCPLeaseRequest, now: Date) -> LeaseDecision {
        guard let index = subnetIndex(for: request) else { return .silence(.noSubnet(selectionAddress(request))) }
        let client = request.clientID
        guard let address = offerCandidate(request, subnet: index, now: now) else {
            let subnet = configuration.subnets[index]
            if subnet.range != nil, let required = subnet.clientClass, !subnet.admitsToRange(request.profile.classes) {
                return .silence(.notInPoolClass(subnet.subnet, required))
            }
            return .silence(subnet.range == nil ? .noPool(subnet.subnet) : .poolExhausted(subnet.subnet))
        }
        table.hold(address, for: client, until: now.addingTimeInterval(configuration.offerHoldTime))
        offerQueues[index, default: OfferQueue()].append(address, client,
                                                         capacity: configuration.subnets[index].poolSize)
        return LeaseDecision(reply: grant(.offer, address: address, request: request, subnet: index), reason: .replied)
    }

    /// §4.3.1's order: the reservation; the offer already held; the client's current or previous
    /// address; the requested address (option 50); a free address of the pool.
    private mutating func offerCandidate(_ request: DHCPLeaseRequest, subnet index: Int, now: Date) -> IPv4Address? {
        let client = request.clientID
        func usable(_ address: IPv4Address) -> Bool {
            isAssignable(address, to: request, subnet: index) && table.isFree(address, for: client, now: now)
        }
        if let reserved = reservationsByMAC[request.chaddr]?.address, usable(reserved) { return reserved }
        if let offered = table.offer(of: client, now: now), usable(offered) { return offered }
        for record in table.records(of: client) where record.state != .declined && usable(record.address) {
            return record.address
        }
        if let requested = request.requestedAddress, usable(requested) { return requested }
        return scanPool(subnet: index, request: request, now: now)
            ?? reclaimOldestOffer(subnet: index, request: request, now: now)
    }

    // MARK: DHCPREQUEST (§4.3.2)

    private mutating func request(_ request: DHCPLeaseRequest, now: Date) -> LeaseDecision {
        let client = request.clientID
        if let serverID = request.serverIdentifier {
            // SELECTING.
            guard serverID == request.receivedOn.address else {
                if table.withdrawOffer(of: client) != nil { exhaustedUntil.removeAll() }
                notePeerLease(request, now: now)
                return .silence(.selectedOtherServer(serverID))
            }
            let requested = request.requestedAddress ?? (request.ciaddr.isUnspecified ? nil : request.ciaddr)
            guard let address = requested else { return .silence(.missingField("requested address (option 50)")) }
            return confirm(address, request: request, now: now)
        }
        if !request.ciaddr.isUnspecified {
            // RENEWING (unicast) or REBINDING (broadcast): the client is bound to `ciaddr`.
            return confirm(request.ciaddr, request: request, now: now)
        }
        guard let requested = request.requestedAddress else {
            return .silence(.missingField("requested address (option 50) or ciaddr"))
        }
        // INIT-REBOOT.
        guard let index = subnetIndex(for: request) else { return .silence(.noSubnet(selectionAddress(request))) }
        guard configuration.subnets[index].subnet.contains(requested) else {
            return nak(request, "requested address \(requested) is not on this network")
        }
        let knowsClient = table.records(of: client).contains { configuration.subnets[index].subnet.contains($0.address) }
            || reservationsByMAC[request.chaddr].map { configuration.subnets[index].subnet.contains($0.address) } == true
        guard knowsClient else { return .silence(.unknownClient) }
        let isClients = table.record(at: requested)?.clientID == client
            || reservationsByMAC[request.chaddr]?.address == requested
        guard isClients else { return nak(request, "requested address \(requested) is not this client's") }
        return confirm(requested, request: request, now: now)
    }

    /// The client takes `requested` from another server: another appliance sharing the store
    /// (docs/store.md "The HA model") or any server on the link. Unless the address is held
    /// for someone else here, it is recorded as that client's for a lease time — in memory
    /// only, nothing is written — so this engine does not offer it to the next client while
    /// the other server binds it. Without this, two appliances whose pool cursors drifted
    /// apart offer each other's fresh leases, and every such offer taken costs a refused write
    /// and a withheld ACK (perfdhcp against two appliances, docs/store.md "Benchmark").
    private mutating func notePeerLease(_ request: DHCPLeaseRequest, now: Date) {
        guard let address = request.requestedAddress, let index = subnetIndex(for: request),
              isAssignable(address, to: request, subnet: index), table.isFree(address, for: request.clientID, now: now)
        else { return }
        let leaseTime = grantedLeaseTime(request, subnet: configuration.subnets[index])
        table.put(DHCPLease(address: address, clientID: request.clientID, mac: request.chaddr, hostname: request.hostname,
                            state: .bound, expires: now.addingTimeInterval(TimeInterval(leaseTime))))
    }

    /// ACK `address` to the client if it is on the client's network, in the pool or reserved for
    /// it, and not held for anyone else; NAK otherwise.
    private mutating func confirm(_ address: IPv4Address, request: DHCPLeaseRequest, now: Date) -> LeaseDecision {
        guard let index = subnetIndex(for: request) else { return .silence(.noSubnet(selectionAddress(request))) }
        guard configuration.subnets[index].subnet.contains(address) else {
            return nak(request, "address \(address) is not on this network")
        }
        let client = request.clientID
        guard isAssignable(address, to: request, subnet: index), table.isFree(address, for: client, now: now) else {
            return nak(request, "address \(address) is not available to this client")
        }
        let subnet = configuration.subnets[index]
        let leaseTime = grantedLeaseTime(request, subnet: subnet)
        // A renewal without option 12 keeps the host name the client gave before.
        let previous = table.record(at: address).flatMap { $0.clientID == client ? $0.hostname : nil }
        let lease = DHCPLease(address: address, clientID: client, mac: request.chaddr,
                              hostname: request.hostname ?? previous, state: .bound, expires: now.addingTimeInterval(TimeInterval(leaseTime)))
        var writes = [lease]
        // One binding per client per network: an older bound address of this client goes back.
        for record in table.records(of: client) where record.address != address && record.state == .bound
            && record.isActive(at: now) && subnet.subnet.contains(record.address) {
            var released = record
            released.state = .released
            released.expires = now
            writes.append(released)
        }
        for write in writes { table.put(write) }
        table.withdrawOffer(of: client)
        if writes.count > 1 { exhaustedUntil[index] = nil }
        var reply = grant(.ack, address: address, request: request, subnet: index)
        reply.ciaddr = request.ciaddr
        return LeaseDecision(reply: reply, reason: .replied, writes: writes)
    }

    // MARK: DHCPDECLINE (§4.3.3) and DHCPRELEASE (§4.3.4)

    private mutating func decline(_ request: DHCPLeaseRequest, now: Date) -> LeaseDecision {
        if let serverID = request.serverIdentifier, serverID != request.receivedOn.address {
            return .silence(.otherServer(serverID))
        }
        guard let address = request.requestedAddress else { return .silence(.missingField("requested address (option 50)")) }
        let client = request.clientID
        guard table.record(at: address)?.clientID == client || table.offer(of: client, now: now) == address else {
            return .silence(.notClientsAddress(address))
        }
        let lease = DHCPLease(address: address, clientID: client, mac: request.chaddr, hostname: nil,
                              state: .declined, expires: now.addingTimeInterval(configuration.declineHoldTime))
        table.put(lease)
        table.withdrawOffer(of: client)
        return .silence(.declined(address), writes: [lease])
    }

    private mutating func release(_ request: DHCPLeaseRequest, now: Date) -> LeaseDecision {
        if let serverID = request.serverIdentifier, serverID != request.receivedOn.address {
            return .silence(.otherServer(serverID))
        }
        let address = request.ciaddr
        guard !address.isUnspecified else { return .silence(.missingField("ciaddr")) }
        guard var lease = table.record(at: address), lease.clientID == request.clientID, lease.state == .bound else {
            return .silence(.notClientsAddress(address))
        }
        lease.state = .released
        lease.expires = min(lease.expires, now)
        table.put(lease)
        exhaustedUntil.removeAll()
        return .silence(.released(address), writes: [lease])
    }

    // MARK: DHCPINFORM (§4.3.5)

    private func inform(_ request: DHCPLeaseRequest) -> LeaseDecision {
        guard let index = subnetIndex(for: request) else { return .silence(.noSubnet(selectionAddress(request))) }
        var reply = grant(.ack, address: .any, request: request, subnet: index)
        reply.ciaddr = request.ciaddr
        reply.leaseTime = nil
        reply.renewalTime = nil
        reply.rebindingTime = nil
        reply.destination = .forReply(giaddr: request.giaddr, ciaddr: request.ciaddr, yiaddr: .any,
                                      broadcastFlag: request.broadcastFlag, chaddr: request.chaddr, isNAK: false)
        return LeaseDecision(reply: reply, reason: .replied)
    }
}
