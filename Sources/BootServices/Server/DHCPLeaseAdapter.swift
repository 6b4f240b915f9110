import NetbootWire

/// The two conversions between the wire (`DHCPMessage`, RFC 2131 §2 and RFC 2132) and the lease
/// engine's own types: a client message to a `DHCPLeaseRequest`, and a `DHCPLeaseReply` to the
/// reply message of RFC 2131 Table 3.
public enum DHCPLeaseAdapter {
    /// The engine's view of a client message, or nil when it is not one the engine takes (a
    /// message type the engine does not handle, or `chaddr` not Ethernet). Options that are
    /// present but malformed are treated as absent, except option 53 (checked by the caller).
    public static func request(from message: DHCPMessage, type: DHCPMessageType,
                               receivedOn interface: DHCPLeaseRequest.Interface) -> DHCPLeaseRequest? {
        guard let kind = DHCPLeaseRequest.MessageType(rawValue: type.rawValue),
              let mac = message.clientMAC else { return nil }
        let clientID = (try? message.value(.clientIdentifier)).map { [$0.type] + $0.identifier }
        let hostname = try? message.value(.hostName)
        return DHCPLeaseRequest(
            messageType: kind, chaddr: mac, clientIdentifier: clientID,
            requestedAddress: try? message.value(.requestedIPAddress),
            serverIdentifier: try? message.value(.serverIdentifier),
            ciaddr: message.ciaddr, giaddr: message.giaddr, broadcastFlag: message.broadcast,
            hostname: hostname, leaseTime: try? message.value(.leaseTime),
            relayAgentInformation: message.data(for: .relayAgentInformation),
            receivedOn: interface)
    }

    /// The reply message for `reply` to `request` (RFC 2131 Table 3): `op` BOOTREPLY; `xid`,
    /// `flags`, `giaddr`, `htype`, `hlen` and `chaddr` copied; `hops` and `secs` 0; options 53
    /// and 54 first, then the grant's options, option 82 echoed last (RFC 3046 §2.2).
    public static func message(for reply: DHCPLeaseReply, request: DHCPMessage) -> DHCPMessage {
        var out = DHCPMessage(op: .bootReply, htype: request.htype, hlen: request.hlen, xid: request.xid,
                              flags: request.flags, ciaddr: reply.ciaddr, yiaddr: reply.yiaddr,
                              giaddr: request.giaddr, chaddr: request.chaddr)
        if reply.setsBroadcastFlag { out.broadcast = true }
        out.messageType = DHCPMessageType(rawValue: reply.messageType.rawValue)
        out.setValue(.serverIdentifier, reply.serverIdentifier)
        out.setValue(.leaseTime, reply.leaseTime)
        out.setValue(.renewalTime, reply.renewalTime)
        out.setValue(.rebindingTime, reply.rebindingTime)
        out.setValue(.subnetMask, reply.subnetMask)
        if !reply.routers.isEmpty { out.setValue(.routers, reply.routers) }
        if !reply.domainNameServers.isEmpty { out.setValue(.domainNameServers, reply.domainNameServers) }
        out.setValue(.domainName, reply.domainName)
        out.setValue(.hostName, reply.hostname)
        out.setValue(.message, reply.message)
        if let relay = reply.relayAgentInformation { out.set(.relayAgentInformation, relay) }
        return out
    }
}
