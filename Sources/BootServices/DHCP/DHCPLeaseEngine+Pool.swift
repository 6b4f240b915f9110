import Foundation
import NetbootWire

extension DHCPLeaseEngine {
    // MARK: subnet selection

    /// The address that picks the subnet (RFC 2131 §4.3.1 and Kea's order): `giaddr` for a
    /// relayed message; `ciaddr` for a client that has one and whose `ciaddr` lies in a served
    /// subnet (RENEWING, INFORM from a routed client); else the receiving interface's address.
    func selectionAddress(_ request: DHCPLeaseRequest) -> IPv4Address {
        if !request.giaddr.isUnspecified { return request.giaddr }
        if !request.ciaddr.isUnspecified,
           configuration.subnets.contains(where: { $0.subnet.contains(request.ciaddr) }) {
            return request.ciaddr
        }
        return request.receivedOn.address
    }

    func subnetIndex(for request: DHCPLeaseRequest) -> Int? {
        let address = selectionAddress(request)
        return configuration.subnets.firstIndex { $0.subnet.contains(address) }
    }

    // MARK: which addresses may be handed out

    /// True if `address` may be leased to this client in this subnet: reserved for its MAC, or in
    /// the dynamic range and reserved for no one; never the network or broadcast address, the
    /// router, or the server's own interface address.
    func isAssignable(_ address: IPv4Address, to request: DHCPLeaseRequest, subnet index: Int) -> Bool {
        let subnet = configuration.subnets[index]
        guard subnet.subnet.contains(address), !isInfrastructure(address, subnet: subnet, request: request) else {
            return false
        }
        if let owner = reservedAddresses[address] { return owner == request.chaddr }
        return subnet.range?.contains(address) == true && subnet.admitsToRange(request.profile.classes)
    }

    private func isInfrastructure(_ address: IPv4Address, subnet: DHCPSubnetConfiguration,
                                  request: DHCPLeaseRequest) -> Bool {
        if subnet.subnet.prefixLength <= 30,
           address == subnet.subnet.network || address == subnet.subnet.broadcast { return true }
        return address == subnet.router || address == request.receivedOn.address
    }

    /// The next address of the dynamic range free for anyone, from the subnet's rotating cursor;
    /// nil when the pool is exhausted (remembered until the first hold in it runs out).
    mutating func scanPool(subnet index: Int, request: DHCPLeaseRequest, now: Date) -> IPv4Address? {
        if let until = exhaustedUntil[index] {
            if until > now { return nil }
            exhaustedUntil[index] = nil
        }
        // A client outside the pool's class finds nothing, but the pool is not full for others.
        guard let range = configuration.subnets[index].range,
              configuration.subnets[index].admitsToRange(request.profile.classes) else { return nil }
        let low = range.lowerBound.rawValue
        let count = UInt64(range.upperBound.rawValue) - UInt64(low) + 1
        let start = cursors[index].map { $0 >= low && $0 <= range.upperBound.rawValue ? $0 : low } ?? low
        var earliestRelease = Date.distantFuture
        var offset: UInt64 = 0
        while offset < count {
            let raw = UInt32(truncatingIfNeeded: (UInt64(start) - UInt64(low) + offset) % count + UInt64(low))
            let address = IPv4Address(rawValue: raw)
            offset += 1
            guard reservedAddresses[address] == nil,
                  isAssignable(address, to: request, subnet: index) else { continue }
            if let until = table.heldUntil(address, now: now) {
                earliestRelease = min(earliestRelease, until)
                continue
            }
            cursors[index] = raw == range.upperBound.rawValue ? low : raw + 1
            return address
        }
        exhaustedUntil[index] = earliestRelease
        return nil
    }

    // MARK: replies

    /// The lease time of option 51: what the client asked for (option 51), within
    /// `minimumLeaseTime`…the subnet's `lease-time`.
    func grantedLeaseTime(_ request: DHCPLeaseRequest, subnet: DHCPSubnetConfiguration) -> UInt32 {
        let maximum = subnet.leaseTime
        let minimum = min(configuration.minimumLeaseTime, maximum)
        return min(max(request.leaseTime ?? maximum, minimum), maximum)
    }

    /// An OFFER or ACK of `address` with the subnet's options (1, 3, 6, 15, 12, 51, 54, 58, 59).
    func grant(_ type: DHCPLeaseReply.MessageType, address: IPv4Address, request: DHCPLeaseRequest,
               subnet index: Int) -> DHCPLeaseReply {
        let subnet = configuration.subnets[index]
        let leaseTime = grantedLeaseTime(request, subnet: subnet)
        let hostname = reservationsByMAC[request.chaddr].flatMap { $0.address == address ? $0.hostname : nil }
        var reply = DHCPLeaseReply(
            messageType: type, yiaddr: address, serverIdentifier: request.receivedOn.address,
            subnetMask: subnet.subnet.mask, routers: subnet.router.map { [$0] } ?? [],
            domainNameServers: subnet.dns, domainName: subnet.domain, hostname: hostname,
            leaseTime: leaseTime, renewalTime: leaseTime / 2,
            rebindingTime: UInt32((UInt64(leaseTime) * 7) / 8),
            relayAgentInformation: request.relayAgentInformation,
            destination: .forReply(giaddr: request.giaddr, ciaddr: type == .ack ? request.ciaddr : .any,
                                   yiaddr: address, broadcastFlag: request.broadcastFlag,
                                   chaddr: request.chaddr, isNAK: false))
        reply.options = configuredOptions(request, subnet: subnet)
        return reply
    }

    /// The `option-data` winners for this client (host, subnet, classes, global). The subnet's
    /// `router`, `dns` and `domain` keys count as subnet-level options that are always sent: they
    /// stay in the reply's own fields unless a host-level option of the same code overrides them.
    func configuredOptions(_ request: DHCPLeaseRequest, subnet: DHCPSubnetConfiguration) -> [DHCPResolvedOption] {
        // Without any option-data the reply is what it always was (and costs nothing more).
        if configuration.options.isEmpty, subnet.options.isEmpty, request.profile.hostOptions.isEmpty,
           request.profile.classes.isEmpty {
            return []
        }
        var legacy: [DHCPOptionData] = []
        if let router = subnet.router { legacy.append(DHCPOptionData(code: .router, data: router.bytes, alwaysSend: true)) }
        if !subnet.dns.isEmpty {
            legacy.append(DHCPOptionData(code: .domainNameServer, data: subnet.dns.flatMap(\.bytes), alwaysSend: true))
        }
        if let domain = subnet.domain { legacy.append(DHCPOptionData(code: .domainName, data: Array(domain.utf8), alwaysSend: true)) }
        let legacyCodes = Set(legacy.map(\.code))
        var levels = configuration.classifier.optionLevels(for: request.profile, global: configuration.options)
        levels.append(DHCPOptionResolver.Level(.subnet, subnet.options + legacy))
        return DHCPOptionResolver.winners(levels).filter { !($0.level == .subnet && legacyCodes.contains($0.option.code)) }
    }

    /// A NAK (RFC 2131 Table 3: only options 53, 54, 56; `yiaddr` and `ciaddr` zero; broadcast, or
    /// through the relay with the broadcast bit set).
    func nak(_ request: DHCPLeaseRequest, _ why: String) -> LeaseDecision {
        let reply = DHCPLeaseReply(
            messageType: .nak, serverIdentifier: request.receivedOn.address, message: why,
            relayAgentInformation: request.relayAgentInformation,
            setsBroadcastFlag: !request.giaddr.isUnspecified,
            destination: .forReply(giaddr: request.giaddr, ciaddr: request.ciaddr, yiaddr: .any,
                                   broadcastFlag: request.broadcastFlag, chaddr: request.chaddr, isNAK: true))
        return LeaseDecision(reply: reply, reason: .nak(why))
    }
}
