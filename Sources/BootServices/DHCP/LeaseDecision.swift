import NetbootWire

/// A server reply of address assignment (RFC 2131 Table 3): the fields and options that differ
/// per reply. The shell copies `xid`, `flags`, `giaddr` and `chaddr` from the request, as Table 3
/// says, and sets the broadcast bit of a relayed NAK (`setsBroadcastFlag`).
public struct DHCPLeaseReply: Hashable, Sendable {
    /// Option 53 values of the server (RFC 2132 §9.6).
    public enum MessageType: UInt8, Hashable, Sendable {
        case offer = 2
        case ack = 5
        case nak = 6
    }

    public var messageType: MessageType
    public var yiaddr: IPv4Address
    public var ciaddr: IPv4Address
    /// Option 54, the receiving interface's address.
    public var serverIdentifier: IPv4Address
    /// Option 1.
    public var subnetMask: IPv4Address?
    /// Option 3.
    public var routers: [IPv4Address]
    /// Option 6.
    public var domainNameServers: [IPv4Address]
    /// Option 15.
    public var domainName: String?
    /// Option 12.
    public var hostname: String?
    /// Option 51, seconds.
    public var leaseTime: UInt32?
    /// Option 58 (T1), seconds.
    public var renewalTime: UInt32?
    /// Option 59 (T2), seconds.
    public var rebindingTime: UInt32?
    /// Option 56 (a NAK's reason, for humans).
    public var message: String?
    /// Option 82, echoed from the request (RFC 3046 §2.2).
    public var relayAgentInformation: [UInt8]?
    /// Configured options (`option-data`) that won for this client, each with its level; the
    /// client's parameter request list picks which are sent (`DHCPOptionResolver.toSend`). One
    /// of them replaces a field above with the same code.
    public var options: [DHCPResolvedOption] = []
    /// Set the BROADCAST bit in `flags` (a NAK through a relay, RFC 2131 §4.3.2).
    public var setsBroadcastFlag: Bool
    public var destination: DHCPReplyDestination

    public init(messageType: MessageType, yiaddr: IPv4Address = .any, ciaddr: IPv4Address = .any,
                serverIdentifier: IPv4Address, subnetMask: IPv4Address? = nil, routers: [IPv4Address] = [],
                domainNameServers: [IPv4Address] = [], domainName: String? = nil, hostname: String? = nil,
                leaseTime: UInt32? = nil, renewalTime: UInt32? = nil, rebindingTime: UInt32? = nil,
                message: String? = nil, relayAgentInformation: [UInt8]? = nil, setsBroadcastFlag: Bool = false,
                destination: DHCPReplyDestination) {
        self.messageType = messageType
        self.yiaddr = yiaddr
        self.ciaddr = ciaddr
        self.serverIdentifier = serverIdentifier
        self.subnetMask = subnetMask
        self.routers = routers
        self.domainNameServers = domainNameServers
        self.domainName = domainName
        self.hostname = hostname
        self.leaseTime = leaseTime
        self.renewalTime = renewalTime
        self.rebindingTime = rebindingTime
        self.message = message
        self.relayAgentInformation = relayAgentInformation
        self.setsBroadcastFlag = setsBroadcastFlag
        self.destination = destination
    }
}

/// Why the engine sends nothing, or why it sent what it sent, for the shell's one log line.
public enum LeaseReason: Hashable, Sendable, CustomStringConvertible {
    /// No configured subnet for `giaddr` (relayed) or for the receiving interface.
    case noSubnet(IPv4Address)
    /// Every address of the pool is bound, declined or held for another offer (RFC 2131 §4.3.1:
    /// the server sends no OFFER).
    case poolExhausted(IPv4Subnet)
    /// The subnet has no dynamic range (reservations only) and this client has none.
    case noPool(IPv4Subnet)
    /// The subnet's range is only for members of a client class, and this client is not one.
    case notInPoolClass(IPv4Subnet, String)
    /// A SELECTING REQUEST named another server (§4.3.2): our offer is withdrawn.
    case selectedOtherServer(IPv4Address)
    /// An INIT-REBOOT REQUEST from a client we have no record of: the server "MUST remain silent".
    case unknownClient
    /// A message without a field the RFC requires of it.
    case missingField(String)
    /// A DECLINE or RELEASE naming another server.
    case otherServer(IPv4Address)
    /// A DECLINE or RELEASE for an address this client does not hold.
    case notClientsAddress(IPv4Address)
    /// RELEASE honoured (no reply, §4.3.4).
    case released(IPv4Address)
    /// DECLINE honoured (no reply, §4.3.3).
    case declined(IPv4Address)
    /// Why a REQUEST got a NAK.
    case nak(String)
    /// A normal reply.
    case replied

    /// A fixed, low-cardinality name for metrics labels (`description` carries the details).
    public var label: String {
        switch self {
        case .noSubnet: "no_subnet"
        case .poolExhausted: "pool_exhausted"
        case .noPool: "no_pool"
        case .notInPoolClass: "not_in_pool_class"
        case .selectedOtherServer: "selected_other_server"
        case .unknownClient: "unknown_client"
        case .missingField: "missing_field"
        case .otherServer: "other_server"
        case .notClientsAddress: "not_clients_address"
        case .released: "released"
        case .declined: "declined"
        case .nak: "nak"
        case .replied: "replied"
        }
    }

    public var description: String {
        switch self {
        case .noSubnet(let address): "no subnet configured for \(address)"
        case .poolExhausted(let subnet): "pool exhausted in \(subnet)"
        case .noPool(let subnet): "no dynamic range in \(subnet) and no reservation"
        case .notInPoolClass(let subnet, let name): "the range of \(subnet) is for client class \(name) only"
        case .selectedOtherServer(let address): "client selected server \(address)"
        case .unknownClient: "INIT-REBOOT from unknown client"
        case .missingField(let field): "missing \(field)"
        case .otherServer(let address): "addressed to server \(address)"
        case .notClientsAddress(let address): "\(address) is not the client's"
        case .released(let address): "released \(address)"
        case .declined(let address): "declined \(address)"
        case .nak(let why): why
        case .replied: "ok"
        }
    }
}

/// What the engine decided for one client message: a reply or silence, and the lease records to
/// write. The shell commits `writes` (one transaction, possibly batched with others of the same
/// event-loop tick) and only then sends `reply`, so that what a reply promises is on disk first.
public struct LeaseDecision: Hashable, Sendable {
    public var reply: DHCPLeaseReply?
    public var reason: LeaseReason
    /// Upserts by address, to be committed before `reply` is sent.
    public var writes: [DHCPLease]

    public init(reply: DHCPLeaseReply?, reason: LeaseReason, writes: [DHCPLease] = []) {
        self.reply = reply
        self.reason = reason
        self.writes = writes
    }

    static func silence(_ reason: LeaseReason, writes: [DHCPLease] = []) -> LeaseDecision {
        LeaseDecision(reply: nil, reason: reason, writes: writes)
    }
}
