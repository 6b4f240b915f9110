import Testing
@testable import NetbootWire

/// Known-answer tests on the option-43 vectors of bsdp-protocol-and-servers.md §4, all bytes
/// written outside this project (production configs, Apple's spec and code, Go unit tests).
@Suite struct BSDPVectorTests {
    // MARK: V1 — NetSUS ACK[LIST]

    static let v1 = hexBytes("01:01:01:04:02:FF:FF:07:04:01:00:02:0E:08:04:01:00:02:0E:09:11:01:00:02:0E:0C:46:61:75:78:20:4E:65:74:42:6F:6F:74")

    @Test func v1NetSUSAckList() throws {
        #expect(Self.v1.count == 38)
        let options = try BSDPOptions.decode(instances: [Self.v1])
        #expect(options.messageType == .list)
        #expect(options.serverPriority == 0xFFFF)
        #expect(options.defaultBootImage == BootImageID(rawValue: 0x0100_020E))
        #expect(options.selectedBootImage == BootImageID(rawValue: 0x0100_020E))
        #expect(options.bootImageList == [BSDPBootImage(id: BootImageID(rawValue: 0x0100_020E), name: "Faux NetBoot")])
        let id = BootImageID(rawValue: 0x0100_020E)
        #expect(!id.isInstall && id.kind == .macOSX && id.index == 526 && id.isLocal)

        let message = try BSDPMessage.decode(carrier: .ack, instances: [Self.v1])
        let expected = BSDPMessage.ackList(BSDPListReply(serverPriority: 0xFFFF, defaultImage: id, selectedImage: id,
                                                         images: [BSDPBootImage(id: id, name: "Faux NetBoot")]))
        #expect(message == expected)
        // Apple's order 1, 4, 7, 8, 9 is NetSUS's order: our encoder writes the same bytes.
        #expect(try expected.encode() == [Self.v1])
        #expect(try BSDPPacker.pack(options.options) == [Self.v1])
    }

    // MARK: V2 — NetSUS request matchers

    @Test func v2InformListStartsAsNetSUSExpects() throws {
        let bytes = try BSDPMessage.informList(BSDPListRequest()).encode()
        #expect(bytes.count == 1)
        #expect(bytes[0].starts(with: hexBytes("01:01:01:02:02:01")))
    }

    @Test func v2InformSelectEitherOrderOfServerIdAndImage() throws {
        let prefix = hexBytes("01:01:02:02:02:01:01")
        let orderA = prefix + hexBytes("08:04:01:00:02:0E:03:04:0A:01:18:40")
        let orderB = prefix + hexBytes("03:04:0A:01:18:40:08:04:01:00:02:0E")
        let expected = BSDPMessage.informSelect(BSDPSelectRequest(
            serverIdentifier: IPv4Address(10, 1, 24, 64), selectedImage: BootImageID(rawValue: 0x0100_020E)))
        #expect(try BSDPMessage.decode(carrier: .inform, instances: [orderA]) == expected)
        #expect(try BSDPMessage.decode(carrier: .inform, instances: [orderB]) == expected)
        let encoded = try expected.encode()
        #expect(encoded.count == 1)
        #expect(encoded[0].starts(with: hexBytes("01:01:02:02:02:01")))
        // ISC dhcpd `substring(option vendor-encapsulated-options, 7, 12)`.
        let matched = Array(encoded[0][7..<19])
        #expect(matched == Array(orderA[7..<19]) || matched == Array(orderB[7..<19]))
    }

    // MARK: V3 — NetSUS ACK[SELECT] template (malformed as shipped)

    static let v3Shipped = hexBytes("01:01:02:08:04:01:00:02:0E:80:24:61:66:70:3A:2F:2F:61:66:70:75:73:65:72:3A:61:66:70:75:73:65:72:31:40:31:30:2E:31:30:2E:31:32:2E:31:33:31:2F:4E:65:74:42:6F:6F:74:81:11:4E:65:74:42:6F:6F:74:30:30:31:2F:53:68:61:64:6F:77")

    static var v3Corrected: [UInt8] {
        var bytes = v3Shipped
        bytes[10] = 0x2B
        return bytes
    }

    @Test func v3AsShippedIsRejectedAsAnOverrun() {
        #expect(Self.v3Shipped[9] == 0x80 && Self.v3Shipped[10] == 0x24)
        let error = wireError { () throws(WireError) in try BSDPOptions.decode(instances: [Self.v3Shipped]) }
        // 36 bytes into the 43-byte URL the parser meets "Ne" = sub-option 78, length 101.
        #expect(error?.kind == .overrun)
        #expect(error?.offset == 47)
        #expect(wireError { () throws(WireError) in try BSDPMessage.decode(carrier: .ack, instances: [Self.v3Shipped]) } != nil)
    }

    @Test func v3CorrectedDecodes() throws {
        let bytes = Self.v3Corrected
        let options = try BSDPOptions.decode(instances: [bytes])
        #expect(options.messageType == .select)
        #expect(options.selectedBootImage == BootImageID(rawValue: 0x0100_020E))
        #expect(options.shadowMountPath == "afp://afpuser:afpuser1@10.10.12.131/NetBoot")
        #expect(options.shadowFilePath == "NetBoot001/Shadow")
        let message = try BSDPMessage.decode(carrier: .ack, instances: [bytes])
        let expected = BSDPMessage.ackSelect(BSDPSelectReply(
            selectedImage: BootImageID(rawValue: 0x0100_020E),
            shadowMountPath: "afp://afpuser:afpuser1@10.10.12.131/NetBoot", shadowFilePath: "NetBoot001/Shadow"))
        #expect(message == expected)
        #expect(try expected.encode() == [bytes])
    }

    // MARK: V4 — CloneDeploy generator example

    @Test func v4CloneDeployAckList() throws {
        let bytes = hexBytes("01:01:01:03:04:A2:33:4B:A0:04:02:FF:FF:07:04:01:00:00:89:09:11:01:00:00:89:03:6E:65:74:01:00:00:88:04:62:6F:6F:74")
        let options = try BSDPOptions.decode(instances: [bytes])
        #expect(options.messageType == .list)
        #expect(options.serverIdentifier == IPv4Address(162, 51, 75, 160))
        #expect(options.serverPriority == 0xFFFF)
        #expect(options.defaultBootImage == BootImageID(rawValue: 0x0100_0089))
        #expect(options.bootImageList == [
            BSDPBootImage(id: BootImageID(rawValue: 0x0100_0089), name: "net"),
            BSDPBootImage(id: BootImageID(rawValue: 0x0100_0088), name: "boot"),
        ])
        #expect(try BSDPPacker.pack(options.options) == [bytes])
        guard case .ackList(let reply) = try BSDPMessage.decode(carrier: .ack, options: options) else {
            Issue.record("not an ACK[LIST]")
            return
        }
        // The server identifier in an ACK[LIST] is not part of Apple's layout: kept, not lost.
        #expect(reply.additional == [.serverIdentifier(IPv4Address(162, 51, 75, 160))])
        let vendorClass = try BSDPVendorClass.parse(hexBytes("4141504C42534450432F693338362F694D616331342C33"))
        #expect(vendorClass == BSDPVendorClass(architecture: "i386", systemIdentifier: "iMac14,3"))
    }

    // MARK: V5 — GSU / BlueCat

    @Test func v5GSUAckList() throws {
        let bytes = hexBytes("01:01:01:03:04:0A:01:02:03:04:02:FF:FF:07:04:81:00:04:59:08:04:81:00:04:59:09:10:81:00:04:59:0b:47:53:55:20:4e:65:74:42:6f:6f:74")
        let options = try BSDPOptions.decode(instances: [bytes])
        let id = BootImageID(rawValue: 0x8100_0459)
        #expect(id.isInstall && id.kind == .macOSX && id.index == 1113)
        #expect(options.serverIdentifier == IPv4Address(10, 1, 2, 3))
        #expect(options.serverPriority == 0xFFFF)
        #expect(options.defaultBootImage == id && options.selectedBootImage == id)
        #expect(options.bootImageList == [BSDPBootImage(id: id, name: "GSU NetBoot")])
        #expect(try BSDPPacker.pack(options.options) == [bytes])
    }

    // MARK: V6 — Pepijn Oomen's minimal pair

    @Test func v6MinimalListAndSelect() throws {
        let list = hexBytes("01:01:01:09:0c:81:00:00:01:07:6e:65:74:62:6f:6f:74")
        let select = hexBytes("01:01:02:08:04:81:00:00:01")
        let id = BootImageID(rawValue: 0x8100_0001)
        let listMessage = BSDPMessage.ackList(BSDPListReply(serverPriority: nil, defaultImage: nil,
                                                            images: [BSDPBootImage(id: id, name: "netboot")]))
        #expect(try BSDPMessage.decode(carrier: .ack, instances: [list]) == listMessage)
        #expect(try listMessage.encode() == [list])
        let selectMessage = BSDPMessage.ackSelect(BSDPSelectReply(selectedImage: id))
        #expect(try BSDPMessage.decode(carrier: .ack, instances: [select]) == selectMessage)
        #expect(try selectMessage.encode() == [select])
        // bennettp123: iMac12,1 needs priority and default; ours always has them in Apple's place.
        let full = BSDPMessage.ackList(BSDPListReply(serverPriority: 32768, defaultImage: id,
                                                     images: [BSDPBootImage(id: id, name: "netboot")]))
        #expect(try full.encode() == [hexBytes("01:01:01:04:02:80:00:07:04:81:00:00:01:09:0c:81:00:00:01:07:6e:65:74:62:6f:6f:74")])
    }

    // MARK: V7 — OFFER* single selected image

    @Test func v7OfferStarSelectedImage() throws {
        let intel = hexBytes("08:04:81:00:00:67")
        let message = try BSDPMessage.decode(carrier: .offer, instances: [intel])
        let id = BootImageID(rawValue: 0x8100_0067)
        #expect(message == .offer(BSDPSelectReply(selectedImage: id)))
        #expect(id.isInstall && id.kind == .macOSX && id.index == 103)
        #expect(try message.encode() == [intel])

        let ppcOffer = hexBytes("08:04:81:00:00:09")
        let ppcInform = hexBytes("01:01:02:08:04:81:00:00:09")
        let ppcID = BootImageID(rawValue: 0x8100_0009)
        #expect(try BSDPMessage.decode(carrier: .offer, instances: [ppcOffer]) == .offer(BSDPSelectReply(selectedImage: ppcID)))
        #expect(try BSDPMessage.decode(carrier: .ack, instances: [ppcInform]) == .ackSelect(BSDPSelectReply(selectedImage: ppcID)))
        #expect(try BSDPMessage.ackSelect(BSDPSelectReply(selectedImage: ppcID)).encode() == [ppcInform])
        // Metasploit's DISCOVER answer uses the class "AAPLBSDPC/i386" (no model).
        #expect(try BSDPVendorClass.parse(Array("AAPLBSDPC/i386".utf8)) == BSDPVendorClass(architecture: "i386", systemIdentifier: nil))
    }

    // MARK: V8 — Go unit-test vectors (insomniacslk/dhcp)

    @Test func v8BootImageIDs() throws {
        #expect(BootImageID(isInstall: true, kind: .macOSX, index: 0x1000).bytes == hexBytes("81 00 10 00"))
        #expect(BootImageID(isInstall: false, kind: .macOSX, index: 0x1000).bytes == hexBytes("01 00 10 00"))
        #expect(BootImageID(bytes: hexBytes("81 00 10")) == nil)
        let error = wireError { () throws(WireError) in try BSDPOptions.decode(instances: [hexBytes("07 03 81 00 10")]) }
        #expect(error?.kind == .badLength)
    }

    @Test func v8BootImageDescriptors() throws {
        let install = hexBytes("81 00 10 00 06 62 73 64 70 2d 31")
        let plain = hexBytes("01 00 10 10 07 62 73 64 70 2d 32 31")
        #expect(try decodeList(install) == [BSDPBootImage(id: BootImageID(isInstall: true, kind: .macOSX, index: 0x1000), name: "bsdp-1")])
        #expect(try decodeList(plain) == [BSDPBootImage(id: BootImageID(isInstall: false, kind: .macOSX, index: 0x1010), name: "bsdp-21")])
        var writer = ByteWriter()
        BSDPBootImage(id: BootImageID(isInstall: true, kind: .macOSX, index: 0x1000), name: "bsdp-1").encode(into: &writer)
        #expect(writer.bytes == install)
        // Name shorter than its length byte, and an id alone: both overrun.
        #expect(wireError { () throws(WireError) in try decodeList(hexBytes("01 00 10 10 07 62 73 64 70 2d 32")) }?.kind == .overrun)
        #expect(wireError { () throws(WireError) in try decodeList(hexBytes("01 00 10 10")) }?.kind == .overrun)
    }

    @Test func v8BootImageList() throws {
        let list = hexBytes("01 00 03 e9 06 62 73 64 70 2d 31 80 00 23 31 06 62 73 64 70 2d 32")
        let images = [
            BSDPBootImage(id: BootImageID(isInstall: false, kind: .macOSX, index: 1001), name: "bsdp-1"),
            BSDPBootImage(id: BootImageID(isInstall: true, kind: .macOS9, index: 9009), name: "bsdp-2"),
        ]
        #expect(try decodeList(list) == images)
        #expect(try BSDPPacker.pack([.bootImageList(images)]) == [[9, UInt8(list.count)] + list])
        var broken = list
        broken[4] = 4
        #expect(wireError { () throws(WireError) in try decodeList(broken) }?.kind == .overrun)
    }

    @Test func v8MiscOptions() throws {
        #expect(BSDPOption.replyPort(1234).payload == hexBytes("04 d2"))
        #expect(BSDPOption.serverPriority(1234).payload == hexBytes("04 d2"))
        #expect(BSDPOption.version(.v1_1).payload == hexBytes("01 01"))
        #expect(BSDPOption.serverIdentifier(IPv4Address(1, 1, 1, 1)).payload == hexBytes("01 01 01 01"))
        #expect(BSDPOption.machineName("foo").payload == hexBytes("66 6f 6f"))
        for bad in [hexBytes("02 00"), hexBytes("02 01 01"), hexBytes("02 03 01 01 01")] {
            #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [bad]) }?.kind == .badLength)
        }
        let decoded = try BSDPOptions.decode(instances: [hexBytes("04 02 04 d2 05 02 04 d2 03 04 01 01 01 01 82 03 66 6f 6f")])
        #expect(decoded.serverPriority == 1234 && decoded.replyPort == 1234)
        #expect(decoded.serverIdentifier == IPv4Address(1, 1, 1, 1) && decoded.machineName == "foo")
    }

    @Test func v8VendorOptionsListV11() throws {
        #expect(try BSDPPacker.pack([.messageType(.list), .version(.v1_1)]) == [hexBytes("01 01 01 02 02 01 01")])
        #expect(try BSDPOptions.decode(instances: [hexBytes("01 01 01 02 02 01 01")]).options == [.messageType(.list), .version(.v1_1)])
    }

    // MARK: V9 — BSDPy layout

    @Test func v9SameLayoutAsBSDPy() throws {
        let id = BootImageID(isInstall: true, kind: .macOSX, index: 0x1234)
        let reply = BSDPMessage.ackList(BSDPListReply(serverPriority: 0x8080, defaultImage: id,
                                                      images: [BSDPBootImage(id: id, name: "Lab")]))
        let expected = hexBytes("01 01 01 04 02 80 80 07 04 81 00 12 34 09 08 81 00 12 34 03") + Array("Lab".utf8)
        #expect(try reply.encode() == [expected])
        let select = BSDPMessage.ackSelect(BSDPSelectReply(selectedImage: id))
        #expect(try select.encode() == [hexBytes("01 01 02 08 04 81 00 12 34")])
    }

    // MARK: V10 — spec byte rules

    @Test func v10SpecByteRules() throws {
        #expect(try BSDPPacker.pack([.version(.v1_1)]) == [hexBytes("02 02 01 01")])
        #expect(try BSDPPacker.pack([.netBoot10Firmware]) == [hexBytes("0A 00")])
        let diagnostics = BootImageID.attributes(isInstall: false, kind: .diagnostics)
        #expect(try BSDPPacker.pack([.attributesFilterList([diagnostics])]) == [hexBytes("0B 02 03 00")])
        #expect(try BSDPPacker.pack([.maxMessageSize(8192)]) == [hexBytes("0C 02 20 00")])
        #expect(try BSDPPacker.pack([.replyPort(1001)]) == [hexBytes("05 02 03 E9")])
        #expect(try BSDPPacker.pack([.serverPriority(32768)]) == [hexBytes("04 02 80 00")])
        #expect(try BSDPMessage.ackFailed(additional: []).encode() == [hexBytes("01 01 03")])
        #expect(try BSDPMessage.decode(carrier: .ack, instances: [hexBytes("01 01 03")]) == .ackFailed(additional: []))
        #expect([0x3C, 9] + BSDPVendorClass.server.bytes == hexBytes("3C 09 41 41 50 4C 42 53 44 50 43"))
        #expect(try BSDPVendorClass.parse(hexBytes("41 41 50 4C 42 53 44 50 43")) == .server)
    }

    // MARK: V11 — Apple's client INFORM[LIST]

    @Test func v11AppleClientInformList() throws {
        let bytes = hexBytes("01 01 01 02 02 01 01 0A 00 05 02 03 E9 0C 02 20 00 0B 04 03 00 01 00")
        let expected = BSDPMessage.informList(BSDPListRequest(version: .v1_1, replyPort: 1001, isNetBoot10Firmware: true,
                                                              attributesFilter: [0x0300, 0x0100], maxMessageSize: 8192))
        #expect(try BSDPMessage.decode(carrier: .inform, instances: [bytes]) == expected)
        #expect(try expected.encode() == [bytes])
        let plain = hexBytes("01 01 01 02 02 01 01 05 02 03 E9 0C 02 20 00")
        #expect(try BSDPMessage.informList(BSDPListRequest(replyPort: 1001, maxMessageSize: 8192)).encode() == [plain])
        // Option 57 = 1500 and sub-option 12 = 8192: the BSDP one wins.
        #expect(BSDPReplySize.dhcpMessageBudget(bsdp: 8192, dhcp: 1500) == 8164)
        let vendorClass = try BSDPVendorClass.parse(Array("AAPLBSDPC/i386/MacBookPro11,2".utf8))
        #expect(vendorClass.architecture == "i386" && vendorClass.systemIdentifier == "MacBookPro11,2")
    }

    private func decodeList(_ bytes: [UInt8]) throws(WireError) -> [BSDPBootImage] {
        try BSDPBootImage.decodeList(bytes, range: 0..<bytes.count, context: "test")
    }
}
