import NetbootWire

/// The fields of a client message (RFC 2131 §2, RFC 2132) that address assignment depends on.
/// The service shell fills it from a decoded DHCP message and the receiving interface.
public struct DHCPLeaseRequest: Hashable, Sendable {
    /// Option 53 values a client sends (RFC 2132 §9.6).
    public enum MessageType: UInt8, Hashable, Sendable {
        case discover = 1
        case request = 3
        case decline = 4
        case release = 7
        case inform = 8
    }

    /// The local address and subnet of the interface the message arrived on (IP_PKTINFO). Its
    /// address is the server identifier (option 54) of our replies.
    public struct Interface: Hashable, Sendable {
        public var address: IPv4Address
        public var subnet: IPv4Subnet

        public init(address: IPv4Address, subnet: IPv4Subnet) {
            self.address = address
            self.subnet = subnet
        }
    }

    public var messageType: MessageType
    public var chaddr: MACAddress
    /// Option 61; when present it, not `chaddr`, names the client (RFC 2132 §9.14).
    public var clientIdentifier: [UInt8]?
    /// Option 50.
    public var requestedAddress: IPv4Address?
    /// Option 54.
    public var serverIdentifier: IPv4Address?
    public var ciaddr: IPv4Address
    public var giaddr: IPv4Address
    /// The BROADCAST bit of `flags` (RFC 1542 §3.1.1).
    public var broadcastFlag: Bool
    /// Option 12.
    public var hostname: String?
    /// Option 51: the lease time the client asks for, in seconds.
    public var leaseTime: UInt32?
    /// Option 82 (RFC 3046), echoed back unchanged in the reply.
    public var relayAgentInformation: [UInt8]?
    public var receivedOn: Interface
    /// The client's classes, boot settings and host options (`DHCPClientClassifier`), filled
    /// by the server core before the engine sees the request.
    public var profile: DHCPClientProfile = .none

    public init(messageType: MessageType, chaddr: MACAddress, clientIdentifier: [UInt8]? = nil,
                requestedAddress: IPv4Address? = nil, serverIdentifier: IPv4Address? = nil,
                ciaddr: IPv4Address = .any, giaddr: IPv4Address = .any, broadcastFlag: Bool = false,
                hostname: String? = nil, leaseTime: UInt32? = nil, relayAgentInformation: [UInt8]? = nil,
                receivedOn: Interface) {
        self.messageType = messageType
        self.chaddr = chaddr
        self.clientIdentifier = clientIdentifier
        self.requestedAddress = requestedAddress
        self.serverIdentifier = serverIdentifier
        self.ciaddr = ciaddr
        self.giaddr = giaddr
        self.broadcastFlag = broadcastFlag
        self.hostname = hostname
        self.leaseTime = leaseTime
        self.relayAgentInformation = relayAgentInformation
        self.receivedOn = receivedOn
    }

    /// The lease key: option 61, else `chaddr`.
    public var clientID: DHCPClientID { DHCPClientID(clientIdentifier: clientIdentifier, chaddr: chaddr) }
}
