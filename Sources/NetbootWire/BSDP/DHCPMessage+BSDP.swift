/// BSDP carried in a DHCP message (Apple BSDP 1.0.8 §3; reference §1.3, §1.6, §1.8, §1.9):
/// option 60 `AAPLBSDPC…` marks the packet, option 43 instances carry the sub-options.
extension DHCPMessage {
    /// The BSDP vendor class in option 60: nil when option 60 is absent or does not start with
    /// `AAPLBSDPC` (not a BSDP packet); throws when it starts so but is malformed.
    public func bsdpVendorClass() throws(WireError) -> BSDPVendorClass? {
        guard let data = data(for: .vendorClassIdentifier), BSDPVendorClass.hasBSDPPrefix(data) else { return nil }
        return try BSDPVendorClass.parse(data)
    }

    /// The BSDP sub-options of every option-43 instance, each instance decoded on its own.
    public func bsdpOptions() throws(WireError) -> BSDPOptions {
        try BSDPOptions.decode(instances: instances(of: .vendorSpecificInformation))
    }

    /// The BSDP message this packet carries; nil when it is not BSDP (no `AAPLBSDPC` class, or
    /// a DHCP message type that carries no BSDP). Throws ``WireError`` for malformed BSDP.
    public func bsdpMessage() throws(WireError) -> BSDPMessage? {
        guard try bsdpVendorClass() != nil, let type = messageType,
              let carrier = BSDPCarrier(rawValue: type.rawValue) else { return nil }
        return try BSDPMessage.decode(carrier: carrier, instances: instances(of: .vendorSpecificInformation))
    }

    /// The DHCP-message budget of a BSDP reply to this request: BSDP sub-option 12, else
    /// option 57, else 548; capped at 8192; minus 28 (``BSDPReplySize``). A malformed option 57
    /// or option 43 counts as absent, as in Apple's `bsdp_max_message_size`.
    public var bsdpReplyBudget: Int {
        let bsdp = (try? bsdpOptions())?.maxMessageSize
        let dhcp: UInt16? = (try? value(.maximumMessageSize)) ?? nil
        return BSDPReplySize.dhcpMessageBudget(bsdp: bsdp, dhcp: dhcp)
    }

    /// A BSDP reply to `request`, laid out as Apple's bootpd does (`make_dhcp_reply`, reference
    /// §1.6): the request's header with `op` BOOTREPLY, `hops` and `secs` 0, and `xid`, `flags`,
    /// `htype`, `hlen`, `chaddr`, `ciaddr`, `giaddr` copied; `siaddr` = `nextServer` (the
    /// server when nil); options 53 (ACK for ACK[…], OFFER for OFFER\*), 54 = `serverIdentifier`,
    /// 60 `AAPLBSDPC`, then `otherOptions` (e.g. 17 root path), then the option-43 instances,
    /// fitted to the request's budget (``bsdpReplyBudget``). An OFFER\* has `yiaddr` = `ciaddr`
    /// = 0 and a budget of at most 1500 − 28, since the link-layer sender cannot fragment.
    /// Throws `.badValue` for a request-type message, `.overrun` when the reply cannot fit
    /// even without images, `.tooLarge` for `file`/`sname` longer than their fields.
    public static func bsdpReply(to request: DHCPMessage, _ message: BSDPMessage, serverIdentifier: IPv4Address,
                                 otherOptions: [DHCPOption] = [], file: [UInt8] = [], sname: [UInt8] = [],
                                 nextServer: IPv4Address? = nil) throws(WireError) -> BSDPReply {
        let type: DHCPMessageType
        var budget = request.bsdpReplyBudget
        switch message.carrier {
        case .ack: type = .ack
        case .offer:
            type = .offer
            budget = min(budget, BSDPReplySize.linkLayerMaxMessageSize - BSDPReplySize.ipUDPHeaderLength)
        default:
            throw WireError(.badValue, at: 0, "BSDP \(message.carrier) is a client message, not a reply")
        }
        var reply = DHCPMessage(op: .bootReply, htype: request.htype, hlen: request.hlen, hops: 0, xid: request.xid,
                                secs: 0, flags: request.flags,
                                ciaddr: type == .offer ? .any : request.ciaddr, yiaddr: .any,
                                siaddr: nextServer ?? serverIdentifier, giaddr: request.giaddr,
                                chaddr: request.chaddr, sname: sname, file: file)
        reply.messageType = type
        reply.setValue(.serverIdentifier, serverIdentifier)
        reply.set(.vendorClassIdentifier, BSDPVendorClass.server.bytes)
        reply.options += otherOptions
        let packing = try message.encode(dhcpMessageBudget: budget, restOfReplyLength: reply.encodedSize)
        reply.options += packing.instances.map { DHCPOption(.vendorSpecificInformation, $0) }
        return BSDPReply(message: reply, droppedImages: packing.droppedImages, budget: budget)
    }
}

/// A DHCP reply carrying BSDP, with what the packer had to leave out.
public struct BSDPReply: Hashable, Sendable {
    public var message: DHCPMessage
    /// Images dropped from the end of the list to fit the client's budget (log it, as Apple does).
    public var droppedImages: Int
    /// The DHCP-message budget the reply was fitted to.
    public var budget: Int

    /// The UDP payload: padded to at least 300 bytes, never over the budget.
    public func encode() throws(WireError) -> [UInt8] {
        try message.encode(minimumSize: BSDPReplySize.minimumReplyLength, maximumSize: max(budget, BSDPReplySize.minimumReplyLength))
    }
}
