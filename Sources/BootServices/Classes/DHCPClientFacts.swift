import NetbootWire

/// The parts of a client message that class rules look at, read once from the message: option
/// 60, 77, 93, `chaddr`, option 82's circuit and remote id, and the receiving interface. A
/// malformed option reads as absent (the rule then does not match); never traps.
public struct DHCPClientFacts: Hashable, Sendable {
    public var mac: MACAddress?
    public var vendorClass: [UInt8]?
    public var userClass: DHCPUserClass?
    public var architectures: [UInt16]
    public var circuitID: [UInt8]?
    public var remoteID: [UInt8]?
    public var interface: String?

    public init(mac: MACAddress? = nil, vendorClass: [UInt8]? = nil, userClass: DHCPUserClass? = nil,
                architectures: [UInt16] = [], circuitID: [UInt8]? = nil, remoteID: [UInt8]? = nil, interface: String? = nil) {
        self.mac = mac
        self.vendorClass = vendorClass
        self.userClass = userClass
        self.architectures = architectures
        self.circuitID = circuitID
        self.remoteID = remoteID
        self.interface = interface
    }

    public init(message: DHCPMessage, interface: String?) {
        let relay = try? message.value(.relayAgentInformation)
        self.init(mac: message.clientMAC, vendorClass: message.data(for: .vendorClassIdentifier),
                  userClass: try? message.value(.userClass),
                  architectures: (try? message.value(.clientSystemArchitecture))?.map(\.rawValue) ?? [],
                  circuitID: relay?.circuitID, remoteID: relay?.remoteID, interface: interface)
    }
}

extension DHCPClientClass.Match {
    /// True when every rule that is set holds for `facts` (an empty match never holds).
    public func matches(_ facts: DHCPClientFacts) -> Bool {
        guard !isEmpty else { return false }
        if !vendorClassPrefixes.isEmpty {
            guard let vendor = facts.vendorClass,
                  vendorClassPrefixes.contains(where: { vendor.starts(with: Array($0.utf8)) }) else { return false }
        }
        if !userClasses.isEmpty {
            guard let user = facts.userClass else { return false }
            let names = [user.raw] + (user.rfc3004Classes ?? [])
            guard userClasses.contains(where: { wanted in names.contains(Array(wanted.utf8)) }) else { return false }
        }
        if !architectures.isEmpty, !facts.architectures.contains(where: architectures.contains) { return false }
        if !macPrefixes.isEmpty {
            guard let mac = facts.mac, macPrefixes.contains(where: { mac.bytes.starts(with: $0) }) else { return false }
        }
        if !circuitIDs.isEmpty {
            guard let id = facts.circuitID, circuitIDs.contains(id) else { return false }
        }
        if !remoteIDs.isEmpty {
            guard let id = facts.remoteID, remoteIDs.contains(id) else { return false }
        }
        if !interfaces.isEmpty {
            guard let name = facts.interface, interfaces.contains(name) else { return false }
        }
        return true
    }
}
