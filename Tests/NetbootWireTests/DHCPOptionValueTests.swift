import Testing
@testable import NetbootWire

@Suite struct DHCPOptionValueTests {
    /// Sets a value, encodes, decodes, reads it back, and checks the raw bytes.
    func roundTrip<V: Equatable>(_ key: DHCPOptionKey<V>, _ value: V, bytes: [UInt8]) throws {
        var message = DHCPMessage(op: .bootReply, xid: 1, mac: MACAddress(rawValue: 1))
        message.setValue(key, value)
        #expect(message.data(for: key.code) == bytes, "option \(key.code)")
        let decoded = try DHCPMessage(decoding: try message.encode())
        #expect(try decoded.value(key) == value, "option \(key.code)")
        message.setValue(key, nil)
        #expect(!message.contains(key.code))
    }

    @Test func everyTypedOptionRoundTrips() throws {
        try roundTrip(.subnetMask, IPv4Address(255, 255, 255, 0), bytes: [255, 255, 255, 0])
        try roundTrip(.routers, [IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 2)], bytes: [10, 0, 0, 1, 10, 0, 0, 2])
        try roundTrip(.domainNameServers, [IPv4Address(1, 1, 1, 1)], bytes: [1, 1, 1, 1])
        try roundTrip(.hostName, "mac-mini", bytes: Array("mac-mini".utf8))
        try roundTrip(.domainName, "lab.example", bytes: Array("lab.example".utf8))
        try roundTrip(.rootPath, "nfs:10.0.0.1:/images:x.dmg", bytes: Array("nfs:10.0.0.1:/images:x.dmg".utf8))
        try roundTrip(.broadcastAddress, IPv4Address(10, 0, 0, 255), bytes: [10, 0, 0, 255])
        try roundTrip(.vendorSpecificInformation, [1, 1, 1, 4, 2, 0x80, 0x80], bytes: [1, 1, 1, 4, 2, 0x80, 0x80])
        try roundTrip(.requestedIPAddress, IPv4Address(10, 0, 0, 9), bytes: [10, 0, 0, 9])
        try roundTrip(.leaseTime, 86_400, bytes: [0, 1, 0x51, 0x80])
        try roundTrip(.optionOverload, .file, bytes: [1])
        try roundTrip(.messageType, .inform, bytes: [8])
        try roundTrip(.serverIdentifier, IPv4Address(10, 0, 0, 1), bytes: [10, 0, 0, 1])
        try roundTrip(.parameterRequestList, [.subnetMask, .router, .vendorSpecificInformation], bytes: [1, 3, 43])
        try roundTrip(.maximumMessageSize, 1500, bytes: [5, 0xDC])
        try roundTrip(.renewalTime, 1800, bytes: [0, 0, 7, 8])
        try roundTrip(.rebindingTime, 3150, bytes: [0, 0, 0x0C, 0x4E])
        try roundTrip(.vendorClassIdentifier, "AAPLBSDPC/i386/MacBookPro5,1", bytes: Array("AAPLBSDPC/i386/MacBookPro5,1".utf8))
        try roundTrip(.clientIdentifier, DHCPClientIdentifier(mac: MACAddress(rawValue: 0xAABB)), bytes: [1, 0, 0, 0, 0, 0xAA, 0xBB])
        try roundTrip(.tftpServerName, "10.0.0.1", bytes: Array("10.0.0.1".utf8))
        try roundTrip(.bootfileName, "ipxe.efi", bytes: Array("ipxe.efi".utf8))
        try roundTrip(.userClass, DHCPUserClass(text: "iPXE"), bytes: Array("iPXE".utf8))
        try roundTrip(.relayAgentInformation,
                      RelayAgentInformation([.init(.circuitID, [0, 4, 0, 1]), .init(.remoteID, [1, 2, 3]), .init(.linkSelection, [10, 0, 0, 0])]),
                      bytes: [1, 4, 0, 4, 0, 1, 2, 3, 1, 2, 3, 5, 4, 10, 0, 0, 0])
        try roundTrip(.clientSystemArchitecture, [.x64UEFI, .arm64UEFIHTTP], bytes: [0, 7, 0, 19])
        try roundTrip(.clientNetworkInterfaceIdentifier, DHCPClientNetworkInterface(major: 3, minor: 16), bytes: [1, 3, 16])
        let guid: [UInt8] = Array(1...16)
        try roundTrip(.clientMachineIdentifier, DHCPClientMachineIdentifier(identifier: guid), bytes: [0] + guid)
        try roundTrip(.ipxeEncapsulated, IPXEEncapsulatedOptions([DHCPSubOption(IPXEEncapsulatedOptions.http, [1]), DHCPSubOption(IPXEEncapsulatedOptions.busID, [1, 0x80, 0x86, 0x10, 0x0E])]),
                      bytes: [19, 1, 1, 177, 5, 1, 0x80, 0x86, 0x10, 0x0E])
    }

    @Test func wrongLengthsAreTypedErrors() throws {
        let cases: [(DHCPOptionCode, [UInt8])] = [
            (.subnetMask, [255, 255, 255]), (.router, []), (.router, [1, 2, 3, 4, 5]), (.hostName, []),
            (.messageType, []), (.messageType, [1, 2]), (.ipAddressLeaseTime, [0, 0, 1]), (.maximumMessageSize, [5]),
            (.clientIdentifier, [1]), (.clientSystemArchitecture, [0]), (.clientNetworkInterfaceIdentifier, [1, 2]),
            (.clientMachineIdentifier, []), (.clientMachineIdentifier, [0, 1, 2]), (.parameterRequestList, []),
            (.userClass, []), (.relayAgentInformation, []),
        ]
        for (code, data) in cases {
            var message = DHCPMessage(op: .bootRequest, xid: 1, mac: MACAddress(rawValue: 1))
            message.set(code, data)
            let decoded = try DHCPMessage(decoding: try message.encode())
            #expect(throws: WireError.self, "option \(code) with \(data.count) bytes") {
                switch code {
                case .subnetMask: _ = try decoded.value(.subnetMask)
                case .router: _ = try decoded.value(.routers)
                case .hostName: _ = try decoded.value(.hostName)
                case .messageType: _ = try decoded.value(.messageType)
                case .ipAddressLeaseTime: _ = try decoded.value(.leaseTime)
                case .maximumMessageSize: _ = try decoded.value(.maximumMessageSize)
                case .clientIdentifier: _ = try decoded.value(.clientIdentifier)
                case .clientSystemArchitecture: _ = try decoded.value(.clientSystemArchitecture)
                case .clientNetworkInterfaceIdentifier: _ = try decoded.value(.clientNetworkInterfaceIdentifier)
                case .clientMachineIdentifier: _ = try decoded.value(.clientMachineIdentifier)
                case .parameterRequestList: _ = try decoded.value(.parameterRequestList)
                case .userClass: _ = try decoded.value(.userClass)
                case .relayAgentInformation: _ = try decoded.value(.relayAgentInformation)
                default: Issue.record("no accessor for \(code)")
                }
            }
        }
    }

    @Test func encoderRefusesAMalformedOverloadOption() {
        var message = DHCPMessage(op: .bootRequest, xid: 1, mac: MACAddress(rawValue: 1))
        message.set(.optionOverload, [1, 1])
        #expect(throws: WireError.self) { try message.encode() }
        message.set(.optionOverload, [7])
        #expect(throws: WireError.self) { try message.encode() }
    }

    @Test func zeroLengthMessageTypeIsBadLengthNotACrash() throws {
        var message = DHCPMessage(op: .bootRequest, xid: 1, mac: MACAddress(rawValue: 1))
        message.set(.messageType, [])
        let decoded = try DHCPMessage(decoding: try message.encode())
        #expect(decoded.options == [DHCPOption(.messageType, [])]) // kept for round-trip
        #expect(decoded.messageType == nil)
        do {
            _ = try decoded.value(.messageType)
            Issue.record("expected badLength")
        } catch {
            #expect(error.kind == .badLength)
        }
    }

    @Test func textOptionsDropTrailingNULsAndRejectBadUTF8() throws {
        var message = DHCPMessage(op: .bootRequest, xid: 1, mac: MACAddress(rawValue: 1))
        message.set(.hostName, Array("host".utf8) + [0])
        #expect(try message.value(.hostName) == "host")
        message.set(.hostName, [0xC3, 0x28])
        do {
            _ = try message.value(.hostName)
            Issue.record("expected badString")
        } catch {
            #expect(error.kind == .badString)
        }
    }

    @Test func relayAgentSubOptionsKeepOrderAndRejectOverrun() throws {
        let info = try RelayAgentInformation(decoding: [2, 1, 9, 1, 2, 7, 7, 200, 0])
        #expect(info.subOptions.map(\.code.rawValue) == [2, 1, 200])
        #expect(info.circuitID == [7, 7])
        #expect(info.remoteID == [9])
        #expect(try info.encoded() == [2, 1, 9, 1, 2, 7, 7, 200, 0])
        #expect(throws: WireError.self) { try RelayAgentInformation(decoding: [1, 5, 1, 2]) }
        #expect(throws: WireError.self) { try RelayAgentInformation(decoding: [1]) }
        #expect(throws: WireError.self) { try RelayAgentInformation([.init(.circuitID, [UInt8](repeating: 0, count: 256))]).encoded() }
        #expect(throws: WireError.self) { try IPXEEncapsulatedOptions(decoding: [19, 2, 1]) }
    }

    @Test func userClassViews() {
        #expect(DHCPUserClass(raw: [4, 105, 80, 88, 69, 2, 65, 66]).rfc3004Classes == [Array("iPXE".utf8), Array("AB".utf8)])
        #expect(DHCPUserClass(text: "iPXE").rfc3004Classes == nil)
        #expect(DHCPClientMachineIdentifier(identifier: Array(0..<16)).guidString == "00010203-0405-0607-0809-0a0b0c0d0e0f")
    }
}
