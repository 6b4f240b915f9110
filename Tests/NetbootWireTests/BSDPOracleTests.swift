import Foundation
import Testing
@testable import NetbootWire

/// Oracle tests (reference V12): BSDP replies encoded by us, framed, written to a pcap and
/// decoded by Wireshark's independent BSDP dissector (`tshark -V` / `-T pdml`); every BSDP field
/// tshark reports is compared with what was encoded, and nothing may be malformed.
@Suite(.enabled(if: TShark.path != nil, "tshark is not installed (scripts/install-deps installs it)"))
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

    static func baseOptions() -> [(UInt8, [UInt8])] {
        [(53, [5]), (54, server.bytes), (60, BSDPVendorClass.server.bytes)]
    }

    static func build(_ message: BSDPMessage, budget: Int, extra: [(UInt8, [UInt8])] = [], file: String = "",
                      dhcpType: UInt8 = 5) throws -> (Expected, [UInt8], BSDPPacking) {
        var options = baseOptions()
        options[0] = (53, [dhcpType])
        options += extra
        let packing = try message.encode(dhcpMessageBudget: budget, restOfReplyLength: OracleFrames.restLength(options))
        let dhcp = OracleFrames.dhcp(.init(file: Array(file.utf8), options: options, instances: packing.instances))
        let frame = OracleFrames.frame(dhcp, from: server, to: client, dstMAC: MACAddress(rawValue: 0x0016_CB12_3456))
        return (Expected(message: message, instances: packing.instances, file: file), frame, packing)
    }

    @Test func listSelectFailedAndOfferAgreeWithWireshark() throws {
        let images = Self.images(40)
        let list = BSDPMessage.ackList(BSDPListReply(serverPriority: 32768, defaultImage: images[0].id,
                                                     selectedImage: images[3].id, images: images))
        let (bigList, bigFrame, bigPacking) = try Self.build(list, budget: BSDPReplySize.dhcpMessageBudget(bsdp: 8192, dhcp: 1500))
        #expect(bigPacking.droppedImages == 0 && bigPacking.instances.count > 5)

        let mtuBudget = BSDPReplySize.dhcpMessageBudget(bsdp: nil, dhcp: 1500)
        let (smallList, smallFrame, smallPacking) = try Self.build(list, budget: mtuBudget)
        #expect(smallPacking.droppedImages > 0 && smallPacking.instances.count > 1)
        #expect(smallFrame.count - 14 <= 1500, "IP datagram within the client's option 57")

        let select = BSDPMessage.ackSelect(BSDPSelectReply(
            selectedImage: images[3].id, machineName: "NetBoot004",
            shadowMountPath: "afp://netboot004:s3cr%40t@192.168.77.1/NetBootClients0", shadowFilePath: "NetBoot004/Shadow"))
        let rootPath = Array("http://192.168.77.1/NetBoot/NetBootSP0/Lab.nbi/NetInstall.dmg".utf8)
        let (selectExpected, selectFrame, _) = try Self.build(select, budget: mtuBudget, extra: [(17, rootPath)],
                                                              file: "/private/tftpboot/NetBoot/NetBootSP0/Lab.nbi/i386/booter")
        let failed = BSDPMessage.ackFailed(additional: [])
        let (failedExpected, failedFrame, _) = try Self.build(failed, budget: mtuBudget)
        let offer = BSDPMessage.offer(BSDPSelectReply(selectedImage: BootImageID(rawValue: 0x8100_0067), machineName: "NetBoot001"))
        let (offerExpected, offerFrame, _) = try Self.build(offer, budget: mtuBudget, dhcpType: 2)

        let expectations = [bigList, smallList, selectExpected, failedExpected, offerExpected]
        let pcap = OracleFrames.pcap([bigFrame, smallFrame, selectFrame, failedFrame, offerFrame])
        let decoded = try TShark.decode(pcap: pcap)
        #expect(decoded.packets.count == expectations.count)
        #expect(!decoded.verbose.contains("Malformed"))
        #expect(!decoded.verbose.contains("Expert Info"))
        #expect(!decoded.pdml.contains("_ws.malformed"))
        #expect(!decoded.pdml.contains("_ws.expert"))
        #expect(decoded.verbose.contains("Boot Server Discovery Protocol (BSDP)"))
        for (fields, expected) in zip(decoded.packets, expectations) {
            try compare(fields, expected)
        }
    }

    @Test func theCheckSeesMalformedBSDP() throws {
        // Negative control: NetSUS's V3 as shipped must make Wireshark complain, or the
        // "nothing malformed" checks above could not fail.
        let dhcp = OracleFrames.dhcp(.init(options: Self.baseOptions(), instances: [BSDPVectorTests.v3Shipped]))
        let frame = OracleFrames.frame(dhcp, from: Self.server, to: Self.client, dstMAC: .broadcast)
        let decoded = try TShark.decode(pcap: OracleFrames.pcap([frame]))
        #expect(decoded.pdml.contains("_ws.malformed") || decoded.pdml.contains("_ws.expert"))
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

    private func seen(_ fields: [PDMLField]) -> Seen {
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

    private func compare(_ fields: [PDMLField], _ expected: Expected) throws {
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
