import NetbootWire

extension DHCPLeaseRequest {
    /// Why a decoded message is not one for the lease engine; the shell logs and counts it.
    public enum MessageError: Error, Hashable, Sendable, CustomStringConvertible {
        /// `op` is BOOTREPLY: another server's answer, not a client message.
        case notARequest
        /// No option 53: a BOOTP client (RFC 951), which authoritative mode does not serve.
        case missingMessageType
        /// Option 53 names a server message (OFFER, ACK, …) or an unassigned type.
        case notAClientMessage(DHCPMessageType)
        /// `chaddr` is not an Ethernet MAC (`htype` 1, `hlen` 6).
        case notEthernet(htype: UInt8, hlen: UInt8)
        /// An option the engine relies on is present but malformed.
        case malformedOption(DHCPOptionCode, String)

        public var description: String {
            switch self {
            case .notARequest: "not a BOOTREQUEST"
            case .missingMessageType: "no DHCP message type (BOOTP)"
            case .notAClientMessage(let type): "\(type) is not a client message"
            case .notEthernet(let htype, let hlen): "hardware type \(htype)/length \(hlen) is not Ethernet"
            case .malformedOption(let code, let why): "malformed option \(code.rawValue): \(why)"
            }
        }
    }

    /// The fields of a decoded client message (RFC 2131 §2, RFC 2132) that the lease engine
    /// reads, with the interface it arrived on (IP_PKTINFO). A malformed host name (option 12) is
    /// ignored; a malformed option 50, 51, 53 or 54 makes the message unusable.
    public init(message: DHCPMessage, receivedOn interface: Interface) throws(MessageError) {
        guard message.op == .bootRequest else { throw .notARequest }
        let type: DHCPMessageType?
        do { type = try message.value(.messageType) } catch { throw .malformedOption(.messageType, "\(error)") }
        guard let type else { throw .missingMessageType }
        guard let kind = MessageType(rawValue: type.rawValue) else { throw .notAClientMessage(type) }
        guard let mac = message.clientMAC else { throw .notEthernet(htype: message.htype, hlen: message.hlen) }
        func read<Value>(_ key: DHCPOptionKey<Value>) throws(MessageError) -> Value? {
            do { return try message.value(key) } catch { throw .malformedOption(key.code, "\(error)") }
        }
        let identifier = message.data(for: .clientIdentifier)
        self.init(messageType: kind, chaddr: mac,
                  clientIdentifier: identifier?.isEmpty == false ? identifier : nil,
                  requestedAddress: try read(.requestedIPAddress),
                  serverIdentifier: try read(.serverIdentifier),
                  ciaddr: message.ciaddr, giaddr: message.giaddr, broadcastFlag: message.broadcast,
                  hostname: try? message.value(.hostName),
                  leaseTime: try read(.leaseTime),
                  relayAgentInformation: message.data(for: .relayAgentInformation),
                  receivedOn: interface)
    }
}

extension DHCPLeaseReply {
    /// The reply as a DHCP message answering `request` (RFC 2131 Table 3): `xid`, `flags`,
    /// `giaddr`, `htype`/`hlen`/`chaddr` copied from the request (the broadcast bit added for a
    /// relayed NAK), `hops`, `secs`, `siaddr`, `sname` and `file` zero. Options: 53 and 54 first,
    /// then 51/58/59, then 1, 3, 6, 15, 12, 56 and the configured options the client requested
    /// or that are `always-send` (`options`), in the order of the client's parameter request
    /// list (55) where it names them, and option 82 last (RFC 3046 §2.1).
    public func message(answering request: DHCPMessage) -> DHCPMessage {
        var reply = DHCPMessage(op: .bootReply, htype: request.htype, hlen: request.hlen, xid: request.xid,
                                flags: request.flags, ciaddr: ciaddr, yiaddr: yiaddr, giaddr: request.giaddr,
                                chaddr: request.chaddr)
        if setsBroadcastFlag { reply.broadcast = true }
        reply.setValue(.messageType, DHCPMessageType(rawValue: messageType.rawValue))
        reply.setValue(.serverIdentifier, serverIdentifier)
        reply.setValue(.leaseTime, leaseTime)
        reply.setValue(.renewalTime, renewalTime)
        reply.setValue(.rebindingTime, rebindingTime)

        var parameters: [DHCPOption] = []
        if let subnetMask { parameters.append(DHCPOption(.subnetMask, subnetMask.bytes)) }
        if !routers.isEmpty { parameters.append(DHCPOption(.router, routers.flatMap(\.bytes))) }
        if !domainNameServers.isEmpty {
            parameters.append(DHCPOption(.domainNameServer, domainNameServers.flatMap(\.bytes)))
        }
        if let domainName, !domainName.isEmpty { parameters.append(DHCPOption(.domainName, Array(domainName.utf8))) }
        if let hostname, !hostname.isEmpty { parameters.append(DHCPOption(.hostName, Array(hostname.utf8))) }
        if let message, !message.isEmpty { parameters.append(DHCPOption(.message, Array(message.utf8))) }
        let requested = try? request.value(.parameterRequestList)
        let configured = DHCPOptionResolver.toSend(options, requested: requested).map(\.option)
        // A configured winner replaces the field of the same code (a host's routers over the
        // subnet's), sent or not.
        parameters.removeAll { parameter in options.contains { $0.option.code == parameter.code } }
        parameters += configured.map { DHCPOption($0.code, $0.data) }
        let wanted = requested ?? []
        let rank = { (code: DHCPOptionCode) in wanted.firstIndex(of: code) ?? Int.max }
        let ordered = parameters.enumerated().sorted { lhs, rhs in
            (rank(lhs.element.code), lhs.offset) < (rank(rhs.element.code), rhs.offset)
        }
        for entry in ordered { reply.append(entry.element.code, entry.element.data) }
        if let relayAgentInformation, !relayAgentInformation.isEmpty {
            reply.append(.relayAgentInformation, relayAgentInformation)
        }
        return reply
    }
}
