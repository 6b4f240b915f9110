import Foundation
import Testing
@testable import NetbootWire

/// Oracle tests (reference V12): BSDP replies encoded by us, framed, written to a pcap and
/// decoded by Wireshark's independent BSDP dissector (`tshark -V` / `-T pdml`); every BSDP field
/// tshark reports is compared with what was encoded, and nothing may be malformed.
@Suite(.enabled(if: Tshark.shouldRun, "tshark not installed (and CI not set): BSDP oracle tests skipped"))
struct BSDPOracleTests {
    static let server = IPv4Address(192, 168, 77, 1)
    static let client = IPv4Address(192, 168, 77, 20)

    static func images(_ count: Int) -> [BSDPBootImage] {
        let flavours = ["NetInstall of macOS 10.13.6 High Sierra for the teaching lab, build 17G66",
                        "Déploiement — Mojave 10.14 (salle B) ",
                        "実験室のネットブート・イメージ 10.15",
                        "Diagnostics 🩺 AHT"]
        return (1...count).map { index in
            let kind: BootImageKind = index % 7 == 0 ? .diagnostics : (index % 5 == 0 ? .macOSXServer : .macOSX)
            return BSDPBootImage(id: BootImageID(isInstall: index % 2 == 1, kind: kind, index: UInt16(index <= 20 ? index : 4096 + index)),
                                 name: "\(index). " + flavours[index % flavours.count] + String(repeating: "·", count: index % 9))
        }
    }

    /// What one packet carries, for comparison with tshark.
    struct Expected {
        var message: BSDPMessage
        var instances: [[UInt8]]
        var file: String = ""
    }

    /// The reply to `request` built by the DHCP glue, framed by the Frames codec.
    static func build(_ message: BSDPMessage, to request: DHCPMessage, otherOptions: [DHCPOption] = [],
                      file: String = "") throws -> (Expected, [UInt8], BSDPReply) {
        let reply = try DHCPMessage.bsdpReply(to: request, message, serverIdentifier: server,
                                              otherOptions: otherOptions, file: Array(file.utf8))
        let payload = try reply.encode()
        #expect(payload.count >= 300 && payload.count <= reply.budget)
        let frame = try UDPFrame.encode(sourceMAC: MACAddress(rawValue: 0x0200_0000_0001), destinationMAC: BSDPDHCPTests.mac,
                                        source: server, destination: message.carrier == .offer ? .broadcast : client,
                                        sourcePort: 67, destinationPort: 68, payload: payload)
        return (Expected(message: message, instances: reply.message.instances(of: .vendorSpecificInformation), file: file),
                frame, reply)
    }

    /// No malformed packet, no expert error or warning, in either view.
    static func expectClean(_ decoded: (packets: [[Tshark.Field]], verbose: String)) {
        #expect(!decoded.verbose.contains("Malformed"), "tshark reports a malformed packet:\n\(decoded.verbose)")
        #expect(!decoded.verbose.contains("Expert Info"), "tshark reports expert info:\n\(decoded.verbose)")
        #expect(!decoded.packets.joined().contains { $0.name.hasPrefix("_ws.malformed") || $0.name.hasPrefix("_ws.expert") })
    }

    @Test func listSelectFailedAndOfferAgreeWithWireshark() throws {
        let images = Self.images(40)
        let list = BSDPMessage.ackList(BSDPListReply(serverPriority: 32768, defaultImage: images[0].id,
                                                     selectedImage: images[3].id, images: images))
        let apple = try BSDPDHCPTests.inform(.informList(BSDPListRequest(replyPort: 1001, maxMessageSize: 8192)))
        let (bigList, bigFrame, bigReply) = try Self.build(list, to: apple)
        #expect(bigReply.droppedImages == 0 && bigList.instances.count > 5)

        let firmware = try BSDPDHCPTests.inform(.informList(BSDPListRequest()), maxSize: 1500)
        let (smallList, smallFrame, smallReply) = try Self.build(list, to: firmware)
        #expect(smallReply.droppedImages > 0 && smallList.instances.count > 1)
        #expect(smallFrame.count - 14 <= 1500, "IP datagram within the client's option 57")

        let selectRequest = try BSDPDHCPTests.inform(.informSelect(BSDPSelectRequest(serverIdentifier: Self.server,
                                                                                     selectedImage: images[3].id)))
        let select = BSDPMessage.ackSelect(BSDPSelectReply(
            selectedImage: images[3].id, machineName: "NetBoot004",
            shadowMountPath: "afp://netboot004:s3cr%40t@192.168.77.1/NetBootClients0", shadowFilePath: "NetBoot004/Shadow"))
        let rootPath = Array("http://192.168.77.1/NetBoot/NetBootSP0/Lab.nbi/NetInstall.dmg".utf8)
        let (selectExpected, selectFrame, _) = try Self.build(select, to: selectRequest, otherOptions: [DHCPOption(.rootPath, rootPath)],
                                                              file: "/private/tftpboot/NetBoot/NetBootSP0/Lab.nbi/i386/booter")
        let (failedExpected, failedFrame, _) = try Self.build(.ackFailed(additional: []), to: selectRequest)
        var discover = try BSDPDHCPTests.inform(.discover(BSDPClientParameters()))
        discover.ciaddr = .any
        let offer = BSDPMessage.offer(BSDPSelectReply(selectedImage: BootImageID(rawValue: 0x8100_0067), machineName: "NetBoot001"))
        let (offerExpected, offerFrame, _) = try Self.build(offer, to: discover)

        let expectations = [bigList, smallList, selectExpected, failedExpected, offerExpected]
        let decoded = try Tshark.decode([bigFrame, smallFrame, selectFrame, failedFrame, offerFrame])
        #expect(decoded.packets.count == expectations.count)
        Self.expectClean(decoded)
        #expect(decoded.verbose.contains("Boot Server Discovery Protocol (BSDP)"))
        for (fields, expected) in zip(decoded.packets, expectations) {
            try compare(fields, expected)
        }
    }

    @Test func clientRequestsAgreeWithWireshark() throws {
        let list = BSDPMessage.informList(BSDPListRequest(replyPort: 1001, isNetBoot10Firmware: true,
                                                          attributesFilter: [0x0300, 0x8100], maxMessageSize: 8192))
        let select = BSDPMessage.informSelect(BSDPSelectRequest(serverIdentifier: Self.server,
                                                                selectedImage: BootImageID(rawValue: 0x8100_1001), replyPort: 988))
        let discover = BSDPMessage.discover(BSDPClientParameters(version: .v1_0, attributesFilter: [0x0100]))
        var frames: [[UInt8]] = []
        for message in [list, select, discover] {
            let request = try BSDPDHCPTests.inform(message)
            frames.append(try UDPFrame.encode(sourceMAC: BSDPDHCPTests.mac, destinationMAC: .broadcast,
                                              source: message.carrier == .discover ? .any : Self.client, destination: .broadcast,
                                              sourcePort: 68, destinationPort: 67, payload: request.encode()))
        }
        let decoded = try Tshark.decode(frames)
        #expect(decoded.packets.count == 3)
        Self.expectClean(decoded)
        func values(_ fields: [Tshark.Field], _ short: String) -> [String] {
            fields.filter { $0.name == "dhcp.option.vendor.bsdp." + short }.map(\.value)
        }
        guard decoded.packets.count == 3 else { return }
        let (l, s, d) = (decoded.packets[0], decoded.packets[1], decoded.packets[2])
        for fields in decoded.packets {
            #expect(fields.first { $0.name == "dhcp.option.vendor_class_id" }?.show == "AAPLBSDPC/i386/MacBookPro11,2")
        }
        #expect(values(l, "message_type") == ["01"] && values(l, "version") == ["0101"])
        #expect(values(l, "reply_port") == ["03e9"] && values(l, "message_size") == ["2000"])
        #expect(l.contains { $0.name == "dhcp.option.vendor.bsdp.netboot_firmware" })
        #expect(values(l, "attributes_filter_list") == ["03008100"])
        #expect(values(l, "suboption") == ["010101", "02020101", "0a00", "050203e9", "0c022000", "0b0403008100"])
        #expect(values(s, "message_type") == ["02"] && values(s, "version") == ["0101"])
        #expect(s.first { $0.name == "dhcp.option.vendor.bsdp.server_identifier" }?.show == Self.server.description)
        #expect(values(s, "selected_boot_image_id") == ["81001001"] && values(s, "reply_port") == ["03dc"])
        #expect(values(s, "boot_image.attribute.install") == ["1"] && values(s, "boot_image.index") == ["1001"])
        #expect(values(d, "message_type").isEmpty && values(d, "version") == ["0100"])
        #expect(values(d, "attributes_filter_list") == ["0100"])
    }

    @Test func theCheckSeesMalformedBSDP() throws {
        // Negative control: NetSUS's V3 as shipped must make Wireshark complain, or the
        // "nothing malformed" checks above could not fail.
        var reply = DHCPMessage(op: .bootReply, xid: 7, mac: BSDPDHCPTests.mac)
        reply.messageType = .ack
        reply.setValue(.serverIdentifier, Self.server)
        reply.set(.vendorClassIdentifier, BSDPVendorClass.server.bytes)
        reply.append(.vendorSpecificInformation, BSDPVectorTests.v3Shipped)
        let frame = try UDPFrame.encode(sourceMAC: MACAddress(rawValue: 0x0200_0000_0001), destinationMAC: .broadcast,
                                        source: Self.server, destination: Self.client, sourcePort: 67, destinationPort: 68,
                                        payload: reply.encode())
        let decoded = try Tshark.decode([frame])
        #expect(decoded.verbose.contains("Malformed") || decoded.verbose.contains("Expert Info"))
        #expect(decoded.packets.joined().contains { $0.name.hasPrefix("_ws.malformed") || $0.name.hasPrefix("_ws.expert") })
    }

    /// The BSDP view of one packet as tshark reports it.
    private struct Seen {
        var instances: [String] = []
        var subOptions: [String] = []
        var messageTypes: [String] = []
        var priorities: [String] = []
        var ids: [(what: String, value: String, install: String, kind: String, index: String, nameLength: String, name: String)] = []
        var serverID: String?
        var vendorClass: String?
        var file: String?
    }

    private func seen(_ fields: [Tshark.Field]) -> Seen {
        var s = Seen()
        for field in fields {
            switch field.name {
            case "dhcp.option.type" where field.show == "43": s.instances.append(field.value)
            case "dhcp.option.vendor.bsdp.suboption": s.subOptions.append(field.value)
            case "dhcp.option.vendor.bsdp.message_type": s.messageTypes.append(field.show)
            case "dhcp.option.vendor.bsdp.server_priority": s.priorities.append(field.show)
            case "dhcp.option.vendor.bsdp.default_boot_image_id", "dhcp.option.vendor.bsdp.selected_boot_image_id",
                 "dhcp.option.vendor.bsdp.boot_image.desc":
                s.ids.append((field.name.components(separatedBy: ".").last ?? "", field.value, "", "", "", "", ""))
            case "dhcp.option.vendor.bsdp.boot_image.attribute.install": if !s.ids.isEmpty { s.ids[s.ids.count - 1].install = field.value }
            case "dhcp.option.vendor.bsdp.boot_image.attribute.kind": if !s.ids.isEmpty { s.ids[s.ids.count - 1].kind = field.value }
            case "dhcp.option.vendor.bsdp.boot_image.index": if !s.ids.isEmpty { s.ids[s.ids.count - 1].index = field.value }
            case "dhcp.option.vendor.bsdp.boot_image.name_len": if !s.ids.isEmpty { s.ids[s.ids.count - 1].nameLength = field.show }
            case "dhcp.option.vendor.bsdp.boot_image.name": if !s.ids.isEmpty { s.ids[s.ids.count - 1].name = field.value }
            case "dhcp.option.dhcp_server_id": s.serverID = field.show
            case "dhcp.option.vendor_class_id": s.vendorClass = field.show
            case "dhcp.file": s.file = field.show
            default: break
            }
        }
        return s
    }

    private func compare(_ fields: [Tshark.Field], _ expected: Expected) throws {
        let s = seen(fields)
        #expect(s.serverID == Self.server.description)
        #expect(s.vendorClass == "AAPLBSDPC")
        if !expected.file.isEmpty { #expect(s.file == expected.file) }
        // Every option-43 instance, byte for byte, and every sub-option as Wireshark delimits it.
        #expect(s.instances == expected.instances.map { "2b" + hexString([UInt8($0.count)]) + hexString($0) })
        var tlvs: [String] = []
        for instance in expected.instances {
            var offset = 0
            while offset + 1 < instance.count {
                let end = offset + 2 + Int(instance[offset + 1])
                tlvs.append(hexString(Array(instance[offset..<end])))
                offset = end
            }
        }
        #expect(s.subOptions == tlvs)

        let options = try BSDPOptions.decode(instances: expected.instances)
        #expect(s.messageTypes == (options.messageType.map { ["\($0.rawValue)"] } ?? []))
        #expect(s.priorities == (options.serverPriority.map { ["\($0)"] } ?? []))
        var ids: [(String, BootImageID, [UInt8]?)] = []
        if let id = options.defaultBootImage { ids.append(("default_boot_image_id", id, nil)) }
        if let id = options.selectedBootImage { ids.append(("selected_boot_image_id", id, nil)) }
        for image in options.bootImageList { ids.append(("desc", image.id, Array(image.name.utf8))) }
        #expect(s.ids.count == ids.count)
        for (got, (what, id, name)) in zip(s.ids, ids) {
            #expect(got.what == what)
            #expect(got.install == (id.isInstall ? "1" : "0"))
            #expect(got.kind == String(id.kind.rawValue, radix: 16))
            #expect(got.index == hexString([UInt8(id.index >> 8), UInt8(id.index & 0xFF)]))
            if let name {
                #expect(got.value == hexString(id.bytes + [UInt8(name.count)] + name))
                #expect(got.name == hexString(name))
                #expect(got.nameLength == "\(name.count)")
            } else {
                #expect(got.value == hexString(id.bytes))
            }
        }
        // What was encoded is what the message said (names cut to 246 bytes).
        if case .ackList(let reply) = expected.message {
            #expect(options.bootImageList == Array(reply.images.prefix(options.bootImageList.count)).map {
                BSDPBootImage(id: $0.id, name: String(decoding: $0.encodedName, as: UTF8.self))
            })
        }
        if case .ackSelect(let reply) = expected.message {
            #expect(options.machineName == reply.machineName && options.shadowMountPath == reply.shadowMountPath)
        }
    }
}
