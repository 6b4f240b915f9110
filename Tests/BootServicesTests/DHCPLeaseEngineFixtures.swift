import Foundation
import NetbootWire
@testable import BootServices

/// A small lab network for engine tests: 10.0.0.0/24 served on 10.0.0.2, pool .100–.104,
/// and a relayed 10.1.0.0/24 pool .10–.19. Time starts at `t0` and moves by explicit seconds.
enum Lab {
    static let server = IPv4Address(10, 0, 0, 2)
    static let router = IPv4Address(10, 0, 0, 1)
    static let local = IPv4Subnet(network: IPv4Address(10, 0, 0, 0), prefixLength: 24)!
    static let remote = IPv4Subnet(network: IPv4Address(10, 1, 0, 0), prefixLength: 24)!
    static let relay = IPv4Address(10, 1, 0, 1)
    static let interface = DHCPLeaseRequest.Interface(address: server, subnet: local)
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let reservedMAC = MACAddress("52:54:00:12:34:56")!
    static let reservedAddress = IPv4Address(10, 0, 0, 50)

    static func configuration(poolEnd: UInt8 = 104, reservations: [DHCPReservation] = [
        DHCPReservation(mac: reservedMAC, address: reservedAddress, hostname: "mac-01"),
    ]) -> DHCPPoolConfiguration {
        DHCPPoolConfiguration(subnets: [
            DHCPSubnetConfiguration(subnet: local, range: IPv4Address(10, 0, 0, 100)...IPv4Address(10, 0, 0, poolEnd),
                                    router: router, dns: [router], domain: "lab.example", leaseTime: 3600),
            DHCPSubnetConfiguration(subnet: remote, range: IPv4Address(10, 1, 0, 10)...IPv4Address(10, 1, 0, 19),
                                    router: relay, leaseTime: 600),
        ], reservations: reservations, offerHoldTime: 30, declineHoldTime: 900)
    }

    static func mac(_ n: UInt64) -> MACAddress { MACAddress(rawValue: 0x0200_0000_0000 + n) }

    static func message(_ type: DHCPLeaseRequest.MessageType, _ mac: MACAddress, requested: IPv4Address? = nil,
                        server: IPv4Address? = nil, ciaddr: IPv4Address = .any, giaddr: IPv4Address = .any,
                        clientIdentifier: [UInt8]? = nil, broadcast: Bool = false,
                        leaseTime: UInt32? = nil) -> DHCPLeaseRequest {
        DHCPLeaseRequest(messageType: type, chaddr: mac, clientIdentifier: clientIdentifier,
                         requestedAddress: requested, serverIdentifier: server, ciaddr: ciaddr, giaddr: giaddr,
                         broadcastFlag: broadcast, hostname: "host-\(mac.rawValue & 0xff)", leaseTime: leaseTime,
                         receivedOn: interface)
    }
}

extension DHCPLeaseEngine {
    /// DISCOVER → OFFER → REQUEST(SELECTING) → ACK at `now`; the ACK's address, or nil.
    mutating func dora(_ mac: MACAddress, now: Date, requested: IPv4Address? = nil,
                       giaddr: IPv4Address = .any) -> IPv4Address? {
        guard let offer = handle(Lab.message(.discover, mac, requested: requested, giaddr: giaddr), now: now).reply,
              offer.messageType == .offer else { return nil }
        let ack = handle(Lab.message(.request, mac, requested: offer.yiaddr, server: offer.serverIdentifier,
                                     giaddr: giaddr), now: now)
        guard let reply = ack.reply, reply.messageType == .ack else { return nil }
        return reply.yiaddr
    }
}
