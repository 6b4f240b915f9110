import NetbootWire

/// Where a received datagram arrived: the interface's address and subnet (IP_PKTINFO /
/// `SO_BINDTODEVICE`), and the server identifier to answer with (`server-address`, or the
/// interface's own address).
public struct DHCPReceipt: Hashable, Sendable {
    public var interface: DHCPLeaseRequest.Interface
    /// Option 54 of our replies and the address clients name in a SELECTING REQUEST.
    public var serverIdentifier: IPv4Address
    /// The UDP source port of the datagram (67 from a relay, 68 or a BSDP reply port from a client).
    public var sourcePort: UInt16
    /// The local port it arrived on: the DHCP port (67) or the PXE proxy port (4011).
    public var localPort: UInt16
    /// The interface's name (`eth1`), for client classes that match on it.
    public var interfaceName: String?

    public init(interface: DHCPLeaseRequest.Interface, serverIdentifier: IPv4Address? = nil, sourcePort: UInt16 = 68,
                localPort: UInt16 = 67, interfaceName: String? = nil) {
        self.interface = interface
        self.serverIdentifier = serverIdentifier ?? interface.address
        self.sourcePort = sourcePort
        self.localPort = localPort
        self.interfaceName = interfaceName
    }
}

/// One reply datagram: the encoded DHCP message and where it goes.
public struct DHCPOutgoing: Hashable, Sendable {
    public var bytes: [UInt8]
    public var messageType: DHCPMessageType
    public var destination: DHCPReplyDestination
    /// The UDP destination port: the destination's (67 relay, 68 client) unless a BSDP reply
    /// port (sub-option 5) says otherwise.
    public var destinationPort: UInt16

    public init(bytes: [UInt8], messageType: DHCPMessageType, destination: DHCPReplyDestination,
                destinationPort: UInt16? = nil) {
        self.bytes = bytes
        self.messageType = messageType
        self.destination = destination
        self.destinationPort = destinationPort ?? destination.port
    }
}

/// Why a datagram got no reply. `code` is the metrics label; `description` the log text.
public enum DHCPDropReason: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes are not a DHCP message (`WireError` text).
    case malformed(String)
    /// `op` is BOOTREPLY: another server's reply, not for us.
    case notARequest
    /// Option 53 missing or malformed (a plain BOOTP request; BOOTP is not served).
    case noMessageType
    /// A message type servers do not answer (OFFER, ACK, NAK, …) or that this mode ignores.
    case unsupportedType(DHCPMessageType)
    /// A client message the lease engine cannot use (not Ethernet, a malformed option 50/51/54).
    case unusable(String)
    /// `mode: proxy` and the client is not a PXE, HTTP boot, iPXE or BSDP client.
    case proxyNotBootClient
    /// The lease engine stayed silent (RFC 2131 §4.3), with its reason.
    case lease(LeaseReason)
    /// A PXE / HTTP boot client of an architecture with no boot file configured.
    case pxe(String)
    /// The BSDP responder stayed silent: a metrics code and the reason.
    case bsdp(code: String, String)
    /// The reply could not be encoded (too large for the client's budget, …).
    case encoding(String)

    public var code: String {
        switch self {
        case .malformed: "malformed"
        case .notARequest: "not_request"
        case .noMessageType: "no_message_type"
        case .unsupportedType: "unsupported_type"
        case .unusable: "unusable"
        case .proxyNotBootClient: "proxy_not_boot_client"
        case .lease(let reason): reason.label
        case .pxe: "pxe"
        case .bsdp(let code, _): "bsdp_" + code
        case .encoding: "encoding"
        }
    }

    public var description: String {
        switch self {
        case .malformed(let why): "malformed: \(why)"
        case .notARequest: "BOOTREPLY from another server"
        case .noMessageType: "no DHCP message type (BOOTP is not served)"
        case .unsupportedType(let type): "\(type) is not a client message this mode answers"
        case .unusable(let why): "unusable request: \(why)"
        case .proxyNotBootClient: "proxy mode: not a PXE, HTTP boot, iPXE or BSDP client"
        case .lease(let reason): reason.description
        case .pxe(let why): "PXE: \(why)"
        case .bsdp(_, let why): "BSDP: \(why)"
        case .encoding(let why): "reply not encodable: \(why)"
        }
    }
}

/// The whole decision about one received datagram, as one value: who sent what, the reply (or
/// why none), the lease records to commit before the reply leaves, and the reason for the log.
public struct DHCPExchange: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        case reply(DHCPOutgoing)
        case drop(DHCPDropReason)
    }

    /// `chaddr` when it is an Ethernet address.
    public var client: MACAddress?
    /// The message type received, or nil when it could not be read.
    public var received: DHCPMessageType?
    /// Which core decided: `lease`, `pxe`, `bsdp`, or `wire` for a packet no core saw.
    public var core: String
    public var outcome: Outcome
    /// Records to commit (one transaction) before the reply may be sent.
    public var writes: [DHCPLease]
    /// Why, for the log line: `ok`, a NAK's reason, a drop reason, …
    public var reason: String
    /// More replies to the same message (a BSDP OFFER* beside the lease OFFER).
    public var additional: [DHCPOutgoing] = []
    /// A BSDP binding to persist before the reply is sent.
    public var bindingChange: BSDPBindingChange?

    public init(client: MACAddress?, received: DHCPMessageType?, core: String, outcome: Outcome,
                writes: [DHCPLease] = [], reason: String) {
        self.client = client
        self.received = received
        self.core = core
        self.outcome = outcome
        self.writes = writes
        self.reason = reason
    }

    static func drop(_ reason: DHCPDropReason, client: MACAddress? = nil, received: DHCPMessageType? = nil,
                     core: String = "wire", writes: [DHCPLease] = []) -> DHCPExchange {
        DHCPExchange(client: client, received: received, core: core, outcome: .drop(reason), writes: writes,
                     reason: reason.description)
    }

    /// The metrics label of the decision: the reply's message type (`offer`, `ack`, …) or `drop`.
    public var decisionLabel: String {
        switch outcome {
        case .reply(let outgoing):
            let name = outgoing.messageType.name ?? "type\(outgoing.messageType.rawValue)"
            return (name.hasPrefix("DHCP") ? String(name.dropFirst(4)) : name).lowercased()
        case .drop: return "drop"
        }
    }

    /// The drop reason's code, or `none` for a reply.
    public var reasonLabel: String {
        if case .drop(let reason) = outcome { return reason.code }
        return "none"
    }
}
