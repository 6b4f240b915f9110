import Testing
@testable import NetbootWire

@Suite struct DHCPMessageTests {
    static let mac = MACAddress(rawValue: 0x0011_2233_4455)

    /// A hand-assembled DHCPDISCOVER (RFC 2131 figure 1 layout).
    static func discoverBytes(options: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [1, 1, 6, 0, 0xDE, 0xAD, 0xBE, 0xEF, 0, 3, 0x80, 0]
        bytes += [UInt8](repeating: 0, count: 16)
        bytes += [0x00, 0x11, 0x22, 0x33, 0x44, 0x55] + [UInt8](repeating: 0, count: 10)
        bytes += [UInt8](repeating: 0, count: 64 + 128)
        bytes += [99, 130, 83, 99] + options
        return bytes
    }

    @Test func decodesFixedFields() throws {
        let message = try DHCPMessage(decoding: Self.discoverBytes(options: [53, 1, 1, 255]))
        #expect(message.op == .bootRequest)
        #expect(message.htype == 1 && message.hlen == 6 && message.hops == 0)
        #expect(message.xid == 0xDEAD_BEEF)
        #expect(message.secs == 3)
        #expect(message.broadcast)
        #expect(message.clientMAC == Self.mac)
        #expect(message.chaddr.count == 16)
        #expect(message.hardwareAddress == Self.mac.bytes)
        #expect(message.messageType == .discover)
        #expect(message.messageType?.description == "DHCPDISCOVER")
        #expect(message.sname.isEmpty && message.file.isEmpty)
    }

    @Test func encodesExactlyTheHandAssembledBytes() throws {
        var message = DHCPMessage(op: .bootRequest, xid: 0xDEAD_BEEF, mac: Self.mac)
        message.secs = 3
        message.broadcast = true
        message.messageType = .discover
        let expected = Self.discoverBytes(options: [53, 1, 1, 255])
        #expect(try message.encode(minimumSize: 0) == expected)
        #expect(message.encodedSize == expected.count)
        let padded = try message.encode()
        #expect(padded.count == 300)
        #expect(Array(padded.prefix(expected.count)) == expected)
        #expect(padded.dropFirst(expected.count).allSatisfy { $0 == 0 })
    }

    @Test func unknownOptionsAndOrderRoundTripByteExactly() throws {
        let options: [UInt8] = [53, 1, 3, 200, 3, 9, 8, 7, 0, 0, 43, 2, 1, 0, 77, 4, 105, 80, 88, 69, 43, 1, 9, 255]
        let bytes = Self.discoverBytes(options: options)
        let message = try DHCPMessage(decoding: bytes)
        #expect(message.options.map(\.code.rawValue) == [53, 200, 43, 77, 43])
        #expect(message.instances(of: .vendorSpecificInformation) == [[1, 0], [9]])
        #expect(message.data(for: .vendorSpecificInformation) == [1, 0, 9])
        // Pads between options are not kept; everything else is.
        let withoutPads = Self.discoverBytes(options: options.enumerated().filter { ![8, 9].contains($0.offset) }.map(\.element))
        #expect(try message.encode(minimumSize: 0) == withoutPads)
        #expect(try message.value(.userClass)?.text == "iPXE")
    }

    @Test func longOptionsSplitPerRFC3396AndConcatenateOnRead() throws {
        var message = DHCPMessage(op: .bootReply, xid: 1, mac: Self.mac)
        let long = (0..<600).map { UInt8(truncatingIfNeeded: $0) }
        message.set(.rootPath, long)
        let bytes = try message.encode(minimumSize: 0)
        // Three instances: 255 + 255 + 90, consecutive, then end.
        #expect(bytes[240] == 17 && bytes[241] == 255)
        #expect(bytes[240 + 257] == 17 && bytes[240 + 258] == 255)
        #expect(bytes[240 + 514] == 17 && bytes[240 + 515] == 90)
        #expect(bytes.count == 240 + 606 + 1)
        #expect(message.encodedSize == bytes.count)
        let decoded = try DHCPMessage(decoding: bytes)
        #expect(decoded.instances(of: .rootPath).map(\.count) == [255, 255, 90])
        #expect(decoded.data(for: .rootPath) == long)
        #expect(DHCPOption.encodedSize(dataCount: 0) == 2)
        #expect(DHCPOption.encodedSize(dataCount: 255) == 257)
        #expect(DHCPOption.encodedSize(dataCount: 256) == 260)
    }

    @Test func severalOption43InstancesForBSDP() throws {
        var message = DHCPMessage(op: .bootReply, xid: 7, mac: Self.mac)
        message.messageType = .ack
        message.setValue(.vendorClassIdentifier, "AAPLBSDPC")
        let before = message.encodedSize
        #expect(message.encodedSize(adding: 10) == before + 12)
        message.setInstances(.vendorSpecificInformation, [[1, 1, 1], [9, 2, 0, 0], []])
        message.append(.vendorSpecificInformation, [4, 2, 0x80, 0])
        #expect(message.encodedSize == before + 5 + 6 + 2 + 6)
        let decoded = try DHCPMessage(decoding: try message.encode())
        #expect(decoded.instances(of: .vendorSpecificInformation) == [[1, 1, 1], [9, 2, 0, 0], [], [4, 2, 0x80, 0]])
        #expect(decoded == message)
        // set() replaces every instance in place of the first.
        message.set(.vendorSpecificInformation, [1, 1, 2])
        #expect(message.options.map(\.code) == [.messageType, .vendorClassIdentifier, .vendorSpecificInformation])
        #expect(message.instances(of: .vendorSpecificInformation) == [[1, 1, 2]])
    }

    @Test func minimumAndMaximumSize() throws {
        var message = DHCPMessage(op: .bootReply, xid: 7, mac: Self.mac)
        message.append(DHCPOptionCode(250), [UInt8](repeating: 7, count: 200))
        #expect(message.encodedSize == 240 + 202 + 1)
        #expect(try message.encode(minimumSize: 300).count == 443)
        #expect(try message.encode(minimumSize: 576).count == 576)
        #expect(try message.encode(maximumSize: 443).count == 443)
        #expect(throws: WireError.self) { try message.encode(maximumSize: 442) }
        do {
            _ = try message.encode(maximumSize: 400)
            Issue.record("expected tooLarge")
        } catch {
            #expect(error.kind == .tooLarge)
        }
    }

    @Test func optionOverloadEncodesAndDecodesFileThenSname() throws {
        var message = DHCPMessage(op: .bootReply, xid: 9, mac: Self.mac)
        message.messageType = .offer
        message.setValue(.optionOverload, .both)
        message.fileOptions = [DHCPOption(.vendorSpecificInformation, [1, 2, 3]), DHCPOption(.hostName, Array("ab".utf8))]
        message.snameOptions = [DHCPOption(.vendorSpecificInformation, [4, 5]), DHCPOption(.rootPath, Array("/r".utf8))]
        message.sname = Array("ignored".utf8)
        let bytes = try message.encode()
        // file (offset 108) starts with option 43; sname (offset 44) too; each area ends with 255.
        #expect(Array(bytes[108..<113]) == [43, 3, 1, 2, 3])
        #expect(Array(bytes[44..<48]) == [43, 2, 4, 5])
        #expect(bytes[108 + 5 + 4] == 255)
        #expect(bytes[44 + 4 + 4] == 255)
        let decoded = try DHCPMessage(decoding: bytes)
        #expect(decoded.fileOptions == message.fileOptions)
        #expect(decoded.snameOptions == message.snameOptions)
        #expect(decoded.sname.isEmpty && decoded.file.isEmpty)
        #expect(decoded.serverName == nil && decoded.bootFileName == nil)
        // RFC 3396 / RFC 2131 §4.1 order: options field, then file, then sname.
        #expect(decoded.instances(of: .vendorSpecificInformation) == [[1, 2, 3], [4, 5]])
        #expect(decoded.data(for: .vendorSpecificInformation) == [1, 2, 3, 4, 5])
        #expect(try decoded.value(.hostName) == "ab")
        #expect(try decoded.value(.rootPath) == "/r")
        #expect(try decoded.encode() == bytes)
    }

    @Test func overloadedOptionsNeedOption52AndMustFit() throws {
        var message = DHCPMessage(op: .bootReply, xid: 9, mac: Self.mac)
        message.fileOptions = [DHCPOption(.hostName, [65])]
        #expect(throws: WireError.self) { try message.encode() }
        message.setValue(.optionOverload, .sname)
        #expect(throws: WireError.self) { try message.encode() }
        message.setValue(.optionOverload, .file)
        _ = try message.encode()
        message.fileOptions = [DHCPOption(.hostName, [UInt8](repeating: 65, count: 126))]
        #expect(throws: WireError.self) { try message.encode() } // 128 + end > 128
        message.fileOptions = [DHCPOption(.hostName, [UInt8](repeating: 65, count: 125))]
        #expect(try message.encode().count == 300)
    }

    @Test func fixedFieldLimitsOnEncode() throws {
        var message = DHCPMessage(op: .bootReply, xid: 9, mac: Self.mac)
        message.sname = [UInt8](repeating: 65, count: 64)
        message.file = [UInt8](repeating: 66, count: 128)
        let decoded = try DHCPMessage(decoding: try message.encode())
        #expect(decoded.sname == message.sname && decoded.file == message.file)
        message.sname.append(0x41)
        #expect(throws: WireError.self) { try message.encode() }
        message.sname.removeLast()
        message.file.append(0x41)
        #expect(throws: WireError.self) { try message.encode() }
        message.file.removeLast()
        message.chaddr = [UInt8](repeating: 1, count: 17)
        #expect(throws: WireError.self) { try message.encode() }
        message.chaddr = Self.mac.bytes
        message.options = [DHCPOption(.pad, [1])]
        #expect(throws: WireError.self) { try message.encode() }
        message.options = [DHCPOption(.end, [])]
        #expect(throws: WireError.self) { try message.encode() }
    }

    @Test func snameAndFileAreTextUpToNUL() throws {
        var message = DHCPMessage(op: .bootReply, xid: 9, mac: Self.mac)
        message.sname = Array("server.lab".utf8)
        message.file = Array("pxelinux.0".utf8) + [0, 0x58]
        let decoded = try DHCPMessage(decoding: try message.encode())
        #expect(decoded.serverName == "server.lab")
        #expect(decoded.bootFileName == "pxelinux.0")
        #expect(decoded.file == message.file) // bytes after the NUL survive
    }

    @Test func messageTypeNames() {
        let names = (1...13).map { DHCPMessageType(rawValue: UInt8($0)).description }
        #expect(names == ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE", "DHCPACK", "DHCPNAK",
                          "DHCPRELEASE", "DHCPINFORM", "DHCPFORCERENEW", "DHCPLEASEQUERY", "DHCPLEASEUNASSIGNED",
                          "DHCPLEASEUNKNOWN", "DHCPLEASEACTIVE"])
        #expect(DHCPMessageType(rawValue: 99).description == "DHCP type 99")
        #expect(DHCPMessageType(name: "DHCPINFORM") == .inform)
    }
}
