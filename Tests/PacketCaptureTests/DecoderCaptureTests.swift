import Foundation
import NetbootWire
import Testing
@testable import PacketCapture

/// `netboot decode` on captures written outside this project: the shared danderson capture,
/// and dnsmasq/udhcpc/tftp-hpa/atftp traffic (scripts/fixtures/capture-tftp-peers), checked
/// field by field against its `.parsed` file and against tshark.
@Suite struct DecoderCaptureTests {
    static let dhcpKeys = ["time", "src", "dst", "proto", "op", "xid", "msgType", "chaddr", "ciaddr", "yiaddr",
                           "siaddr", "giaddr", "options"]
    static let tftpKeys = ["time", "src", "dst", "proto", "opcode", "file", "mode", "options", "block",
                           "errorCode", "errorMessage"]

    @Test func dandersonFieldsMatchTheParsedFile() throws {
        let result = try CaptureFileDecoding.decode(path: fixture("dhcp-danderson.pcap"))
        #expect(result.readError == nil)
        #expect(result.records.count == 4)
        let first = try #require(result.records.first)
        #expect(first.json.keys == Self.dhcpKeys)
        let json = try parsedJSON(first.json)
        #expect(json["time"] as? Double == 1456640678.05008)
        #expect(json["src"] as? String == "0.0.0.0:68")
        #expect(json["dst"] as? String == "255.255.255.255:67")
        #expect(json["proto"] as? String == "dhcp")
        #expect(json["op"] as? String == "BOOTREQUEST")
        #expect(json["xid"] as? String == "0x9b4e0557")
        #expect(json["msgType"] as? String == "DHCPDISCOVER")
        #expect(json["chaddr"] as? String == "d0:50:99:4e:05:57")
        #expect(json["ciaddr"] as? String == "0.0.0.0")
        let options = try #require(json["options"] as? [String: Any])
        #expect(options["57"] as? Int == 0x4ec)
        #expect(options["93"] as? [Int] == [0])
        #expect(options["60"] as? String == "PXEClient:Arch:00000:UNDI:002001")
        #expect((options["55"] as? [Int])?.count == 36)
        #expect(options["97"] as? String == "00020003-0004-0005-0006-000700080009")
        let offer = try parsedJSON(result.records[2].json)
        #expect(offer["msgType"] as? String == "DHCPOFFER")
        #expect(offer["yiaddr"] as? String == "192.168.16.12")
        let pxeOffer = try parsedJSON(result.records[1].json)
        #expect((pxeOffer["options"] as? [String: Any])?["54"] as? String == "192.168.16.10")
        #expect(result.records[3].dhcp?.messageType == .request)
    }

    @Test func peerTFTPTransfersAreFollowedOnTheirEphemeralPorts() throws {
        let result = try CaptureFileDecoding.decode(path: fixture("tftp-peers.pcap"))
        #expect(result.readError == nil)
        let tftp = result.records.filter { $0.proto == .tftp }
        #expect(tftp.count == 29)
        #expect(result.records.allSatisfy { $0.error == nil })
        #expect(result.records.filter { $0.proto == .other }.isEmpty)
        let rrq = try parsedJSON(try #require(tftp.first).json)
        #expect(try #require(tftp.first).json.keys == Self.tftpKeys)
        #expect(rrq["opcode"] as? String == "RRQ")
        #expect(rrq["file"] as? String == "pxelinux.0")
        #expect(rrq["mode"] as? String == "octet")
        #expect(rrq["block"] is NSNull)
        let data = try parsedJSON(tftp[1].json)
        #expect(data["opcode"] as? String == "DATA")
        #expect(data["block"] as? Int == 1)
        let oack = try #require(tftp.first { $0.tftp?.opcode == .optionAcknowledgement })
        #expect(try parsedJSON(oack.json)["options"] as? [String: String] == ["blksize": "1024", "tsize": "5000"])
        let error = try parsedJSON(try #require(tftp.first { $0.tftp?.opcode == .error }).json)
        #expect(error["errorCode"] as? Int == 1)
        #expect((error["errorMessage"] as? String)?.hasSuffix("missing.bin not found for 198.51.100.2") == true)
    }

    @Test func pcapngDecodesLikeTheClassicFile() throws {
        let classic = try CaptureFileDecoding.decode(path: fixture("tftp-peers.pcap"))
        let next = try CaptureFileDecoding.decode(path: fixture("tftp-peers.pcapng"))
        #expect(next.readError == nil)
        #expect(next.records.map(\.json) == classic.records.map(\.json))
    }

    /// Every DHCP and TFTP field we print agrees with tshark's dissection of the same file.
    @Test(arguments: ["tftp-peers.pcap", "dhcp-danderson.pcap", "ipxe-peers.pcap"])
    func fieldsAgreeWithTshark(_ name: String) throws {
        let fields = ["frame.number", "dhcp.id", "dhcp.option.dhcp", "dhcp.hw.mac_addr", "dhcp.ip.your", "dhcp.ip.client",
                      "dhcp.ip.server", "dhcp.ip.relay", "tftp.opcode", "tftp.source_file", "tftp.type", "tftp.block",
                      "tftp.error.code", "tftp.error.message"]
        guard let data = try tshark(["-r", fixture(name), "-T", "json"] + fields.flatMap { ["-e", $0] }) else { return }
        let packets = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let records = try CaptureFileDecoding.decode(path: fixture(name)).records
        #expect(packets.count == records.count)
        var compared = 0
        for (packet, record) in zip(packets, records) {
            let layers = (packet["_source"] as? [String: Any])?["layers"] as? [String: [String]] ?? [:]
            let ours = try parsedJSON(record.json)
            if let xid = layers["dhcp.id"]?.first {
                #expect(ours["xid"] as? String == xid)
                let type = layers["dhcp.option.dhcp"]?.first.flatMap { UInt8($0) }
                #expect(ours["msgType"] as? String == type.flatMap { DHCPMessageType(rawValue: $0).name })
                #expect(ours["chaddr"] as? String == layers["dhcp.hw.mac_addr"]?.first)
                #expect(ours["yiaddr"] as? String == layers["dhcp.ip.your"]?.first)
                #expect(ours["ciaddr"] as? String == layers["dhcp.ip.client"]?.first)
                #expect(ours["siaddr"] as? String == layers["dhcp.ip.server"]?.first)
                #expect(ours["giaddr"] as? String == layers["dhcp.ip.relay"]?.first)
                compared += 1
            }
            if let opcode = layers["tftp.opcode"]?.first.flatMap({ UInt16($0) }) {
                #expect(ours["proto"] as? String == "tftp")
                #expect(ours["opcode"] as? String == TFTPOpcode(opcode).description)
                #expect(ours["file"] as? String == layers["tftp.source_file"]?.first)
                #expect(ours["mode"] as? String == layers["tftp.type"]?.first)
                #expect((ours["block"] as? Int).map(String.init) == layers["tftp.block"]?.first)
                #expect((ours["errorCode"] as? Int).map(String.init) == layers["tftp.error.code"]?.first)
                #expect(ours["errorMessage"] as? String == layers["tftp.error.message"]?.first)
                compared += 1
            }
        }
        #expect(compared == records.count)
    }

    @Test func conversationsOfThePeerCapture() throws {
        var groups = Conversations()
        for record in try CaptureFileDecoding.decode(path: fixture("tftp-peers.pcap")).records { groups.add(record) }
        #expect(groups.exchanges.count == 1)
        #expect(groups.exchanges[0].steps == ["DISCOVER", "OFFER(198.51.100.58)", "DISCOVER", "OFFER(198.51.100.58)",
                                              "REQUEST", "ACK(198.51.100.58)"])
        #expect(groups.transfers.map(\.file) == ["pxelinux.0", "vmlinuz", "missing.bin"])
        #expect(groups.transfers.map(\.bytes) == [3000, 5000, 0])
        #expect(groups.transfers.map(\.blockSize) == [512, 1024, 512])
        #expect(groups.transfers.map(\.retransmits) == [0, 0, 0])
        #expect(groups.transfers[0].outcome == .complete)
        #expect(groups.transfers[1].outcome == .complete)
        guard case .error(1, _) = groups.transfers[2].outcome else {
            Issue.record("missing.bin: \(groups.transfers[2].outcome)")
            return
        }
        #expect(groups.lines.count == 4)
        #expect(groups.lines[2].hasPrefix("tftp RRQ \"vmlinuz\" 198.51.100.2:41268 ↔ 198.51.100.1:37212 blksize 1024 windowsize 1 bytes 5000 retransmits 0 duration 0.050 s complete"))
    }

    /// iPXE (QEMU, pxe-e1000.rom) against dnsmasq: its DHCP options and its script transfer.
    @Test func iPXECapture() throws {
        let result = try CaptureFileDecoding.decode(path: fixture("ipxe-peers.pcap"))
        #expect(result.readError == nil)
        #expect(result.records.count == 11)
        let discover = try parsedJSON(result.records[0].json)
        let options = try #require(discover["options"] as? [String: Any])
        #expect(options["77"] as? String == "iPXE")
        #expect(options["60"] as? String == "PXEClient:Arch:00000:UNDI:002001")
        #expect(options["61"] as? String == "01:52:54:00:12:34:56")
        #expect((options["175"] as? String)?.hasPrefix("b1:05:01") == true)
        let ack = try parsedJSON(result.records[5].json)
        #expect(ack["msgType"] as? String == "DHCPACK")
        #expect((ack["options"] as? [String: Any])?["67"] as? String == "boot.ipxe")
        var groups = Conversations()
        for record in result.records { groups.add(record) }
        #expect(groups.clients.count == 1)
        let transfer = try #require(groups.transfers.first)
        #expect(transfer.file == "boot.ipxe")
        #expect(transfer.blockSize == 1432)
        #expect(transfer.bytes == 49)
        #expect(transfer.outcome == .complete)
    }
}
