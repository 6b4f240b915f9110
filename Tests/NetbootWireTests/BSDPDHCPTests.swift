import Testing
@testable import NetbootWire

/// BSDP inside whole DHCP messages: decoding from a `DHCPMessage` and building full replies
/// (reference §1.6 packet layouts, §1.9 sizes).
@Suite struct BSDPDHCPTests {
    static let mac = MACAddress(rawValue: 0x0016_CB12_3456)
    static let server = IPv4Address(192, 168, 77, 1)
    static let client = IPv4Address(192, 168, 77, 20)

    /// A client INFORM as Apple's `BSDPClient.c` builds it (reference V11).
    static func inform(_ bsdp: BSDPMessage, maxSize: UInt16? = 1500, model: String = "MacBookPro11,2") throws -> DHCPMessage {
        var message = DHCPMessage(op: .bootRequest, xid: 0x0BAD_F00D, mac: mac)
        message.ciaddr = client
        message.messageType = bsdp.carrier == .inform ? .inform : (bsdp.carrier == .discover ? .discover : .request)
        message.set(.parameterRequestList, [60, 43])
        if let maxSize { message.setValue(.maximumMessageSize, maxSize) }
        message.set(.vendorClassIdentifier, BSDPVendorClass(architecture: "i386", systemIdentifier: model).bytes)
        message.options += try bsdp.encode().map { DHCPOption(.vendorSpecificInformation, $0) }
        return message
    }

    @Test func decodesTheClientsInformList() throws {
        let list = BSDPMessage.informList(BSDPListRequest(replyPort: 1001, maxMessageSize: 8192))
        let bytes = try Self.inform(list).encode()
        #expect(bytes.count == 300)
        let decoded = try DHCPMessage(decoding: bytes)
        #expect(try decoded.bsdpMessage() == list)
        #expect(try decoded.bsdpVendorClass() == BSDPVendorClass(architecture: "i386", systemIdentifier: "MacBookPro11,2"))
        #expect(decoded.bsdpReplyBudget == 8164)
        #expect(try Self.inform(.informList(BSDPListRequest())).bsdpReplyBudget == 1472)
        #expect(try Self.inform(.informList(BSDPListRequest()), maxSize: nil).bsdpReplyBudget == 520)
        let select = BSDPMessage.informSelect(BSDPSelectRequest(serverIdentifier: Self.server,
                                                                selectedImage: BootImageID(rawValue: 0x8100_0001)))
        #expect(try DHCPMessage(decoding: Self.inform(select).encode()).bsdpMessage() == select)
        let discover = BSDPMessage.discover(BSDPClientParameters(attributesFilter: [0x0300]))
        #expect(try DHCPMessage(decoding: Self.inform(discover).encode()).bsdpMessage() == discover)
    }

    @Test func notBSDPUnlessOption60SaysSo() throws {
        var message = try Self.inform(.informList(BSDPListRequest()))
        message.set(.vendorClassIdentifier, Array("PXEClient:Arch:00007:UNDI:003016".utf8))
        #expect(try message.bsdpMessage() == nil)
        message.remove(.vendorClassIdentifier)
        #expect(try message.bsdpMessage() == nil)
        message.set(.vendorClassIdentifier, Array("AAPLBSDPC+i386".utf8))
        #expect(wireError { () throws(WireError) in try message.bsdpMessage() }?.kind == .badValue)
        // A DHCP type that carries no BSDP (NAK) is not a BSDP message either.
        message.set(.vendorClassIdentifier, BSDPVendorClass.server.bytes)
        message.messageType = .nak
        #expect(try message.bsdpMessage() == nil)
    }

    @Test func eachOption43InstanceIsDecodedOnItsOwn() throws {
        var message = try Self.inform(.informList(BSDPListRequest()))
        message.remove(.vendorSpecificInformation)
        message.messageType = .ack
        let list = hexBytes("01:01:01:09:0c:81:00:00:01:07:6e:65:74:62:6f:6f:74")
        message.options += [DHCPOption(.vendorSpecificInformation, Array(list.prefix(3))),
                            DHCPOption(.vendorSpecificInformation, Array(list.dropFirst(3)))]
        let decoded = try DHCPMessage(decoding: message.encode())
        #expect(try decoded.bsdpOptions().bootImageList.map(\.name) == ["netboot"])
        // The RFC 3396 view (concatenation) would accept a sub-option cut across instances; BSDP must not.
        message.remove(.vendorSpecificInformation)
        message.options += [DHCPOption(.vendorSpecificInformation, Array(list.prefix(9))),
                            DHCPOption(.vendorSpecificInformation, Array(list.dropFirst(9)))]
        let split = try DHCPMessage(decoding: message.encode())
        #expect(try BSDPOptions.decode(instances: [split.data(for: .vendorSpecificInformation) ?? []]).bootImageList.count == 1)
        #expect(wireError { () throws(WireError) in try split.bsdpMessage() }?.kind == .overrun)
    }

    @Test func ackListReplyLaidOutAsAppleAndFittedToOption57() throws {
        var request = try Self.inform(.informList(BSDPListRequest()))
        request.broadcast = true
        request.giaddr = IPv4Address(10, 9, 8, 7)
        let images = BSDPPackingTests.images(40)
        let reply = try DHCPMessage.bsdpReply(
            to: request, .ackList(BSDPListReply(serverPriority: 32768, defaultImage: images[0].id, images: images)),
            serverIdentifier: Self.server)
        #expect(reply.budget == 1472)
        #expect(reply.droppedImages == 17)  // same arithmetic as BSDPPackingTests (rest of reply 261)
        let bytes = try reply.encode()
        #expect(bytes.count <= 1472 && bytes.count == 261 + 1183)
        let decoded = try DHCPMessage(decoding: bytes)
        #expect(decoded.op == .bootReply && decoded.hops == 0 && decoded.secs == 0)
        #expect(decoded.xid == request.xid && decoded.flags == request.flags && decoded.chaddr == request.chaddr)
        #expect(decoded.ciaddr == Self.client && decoded.yiaddr == .any && decoded.giaddr == request.giaddr)
        #expect(decoded.siaddr == Self.server)
        #expect(decoded.options.map(\.code.rawValue) == [53, 54, 60, 43, 43, 43, 43, 43])
        #expect(decoded.messageType == .ack)
        #expect(try decoded.value(.serverIdentifier) == Self.server)
        #expect(decoded.data(for: .vendorClassIdentifier) == Array("AAPLBSDPC".utf8))
        #expect(try decoded.bsdpMessage() == .ackList(BSDPListReply(serverPriority: 32768, defaultImage: images[0].id,
                                                                       images: Array(images.prefix(23)))))
    }

    @Test func ackSelectAndFailedReplies() throws {
        let request = try Self.inform(.informSelect(BSDPSelectRequest(serverIdentifier: Self.server,
                                                                      selectedImage: BootImageID(rawValue: 0x8100_0001))))
        let select = BSDPMessage.ackSelect(BSDPSelectReply(selectedImage: BootImageID(rawValue: 0x8100_0001), machineName: "NetBoot001"))
        let rootPath = Array("nfs:192.168.77.1:/Library/NetBoot/NetBootSP0:Lab.nbi/NetInstall.dmg".utf8)
        let booter = Array("/private/tftpboot/NetBoot/NetBootSP0/Lab.nbi/i386/booter".utf8)
        let reply = try DHCPMessage.bsdpReply(to: request, select, serverIdentifier: Self.server,
                                              otherOptions: [DHCPOption(.rootPath, rootPath)], file: booter,
                                              sname: Array("netboot".utf8))
        let decoded = try DHCPMessage(decoding: reply.encode())
        #expect(decoded.options.map(\.code.rawValue) == [53, 54, 60, 17, 43])
        #expect(decoded.bootFileName == String(decoding: booter, as: UTF8.self) && decoded.serverName == "netboot")
        #expect(try decoded.bsdpMessage() == select)

        let failed = try DHCPMessage.bsdpReply(to: request, .ackFailed(additional: []), serverIdentifier: Self.server)
        let failedBytes = try failed.encode()
        #expect(failedBytes.count == 300)  // padded to the BOOTP minimum
        #expect(try DHCPMessage(decoding: failedBytes).bsdpMessage() == .ackFailed(additional: []))
        #expect(try DHCPMessage(decoding: failedBytes).instances(of: .vendorSpecificInformation) == [[1, 1, 3]])
    }

    @Test func offerStarToABoundClientsDiscover() throws {
        var discover = try Self.inform(.discover(BSDPClientParameters()), maxSize: 9000)
        discover.ciaddr = .any
        let offer = BSDPMessage.offer(BSDPSelectReply(selectedImage: BootImageID(rawValue: 0x8100_0067), machineName: "NetBoot007"))
        let reply = try DHCPMessage.bsdpReply(to: discover, offer, serverIdentifier: Self.server)
        #expect(reply.budget == 1472)  // link-layer send: capped at the Ethernet MTU
        let decoded = try DHCPMessage(decoding: reply.encode())
        #expect(decoded.messageType == .offer && decoded.yiaddr == .any && decoded.ciaddr == .any)
        #expect(decoded.instances(of: .vendorSpecificInformation) == [hexBytes("08 04 81 00 00 67 82 0A") + Array("NetBoot007".utf8)])
        #expect(try decoded.bsdpMessage() == offer)
        // A client message is not a reply.
        let error = wireError { () throws(WireError) in
            try DHCPMessage.bsdpReply(to: discover, .informList(BSDPListRequest()), serverIdentifier: Self.server)
        }
        #expect(error?.kind == .badValue)
    }
}
