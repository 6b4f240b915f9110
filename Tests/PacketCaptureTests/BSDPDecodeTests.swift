import Foundation
import NetbootWire
import Testing
@testable import PacketCapture

/// BSDP packets built with NetbootWire's encoder, decoded as `netboot decode` prints them.
@Suite struct BSDPDecodeTests {
    static let images = [
        BSDPBootImage(id: BootImageID(rawValue: 0x8100_0010), name: "Mojave Install"),
        BSDPBootImage(id: BootImageID(rawValue: 0x0100_0011), name: "Lab Catalina"),
        BSDPBootImage(id: BootImageID(rawValue: 0x0300_0bb8), name: "Apple Hardware Test"),
    ]

    static func informList(xid: UInt32 = 0x1234_5678) throws -> DHCPMessage {
        var request = DHCPMessage(op: .bootRequest, xid: xid, mac: clientMAC)
        request.ciaddr = clientIP
        request.messageType = .inform
        request.set(.vendorClassIdentifier, Array("AAPLBSDPC/i386/MacBookPro8,1".utf8))
        let list = BSDPMessage.informList(BSDPListRequest(version: .v1_1, replyPort: 1000, maxMessageSize: 1500))
        for instance in try list.encode() { request.append(.vendorSpecificInformation, instance) }
        return request
    }

    static func frames() throws -> [CapturedFrame] {
        let request = try informList()
        let reply = try DHCPMessage.bsdpReply(
            to: request, .ackList(BSDPListReply(serverPriority: 32768, defaultImage: images[0].id, images: images)),
            serverIdentifier: serverIP)
        return [
            try udpFrame(from: (clientMAC, clientIP, 68), to: (.broadcast, .broadcast, 67), try request.encode()),
            try udpFrame(from: (serverMAC, serverIP, 67), to: (clientMAC, clientIP, 1000), try reply.encode(), micro: 2500),
        ]
    }

    @Test func listExchangeJSON() throws {
        var decoder = PacketDecoder()
        let records = try Self.frames().map { decoder.decode($0) }
        #expect(records.map(\.proto) == [.bsdp, .bsdp])
        #expect(records.allSatisfy { $0.error == nil })
        #expect(records[0].json.keys == DecoderCaptureTests.dhcpKeys + ["bsdp"])
        let request = try parsedJSON(records[0].json)
        #expect(request["msgType"] as? String == "DHCPINFORM")
        #expect(request["xid"] as? String == "0x12345678")
        let requestBSDP = try #require(request["bsdp"] as? [String: Any])
        #expect(requestBSDP["messageType"] as? String == "LIST")
        #expect(requestBSDP["replyPort"] as? Int == 1000)
        #expect((requestBSDP["images"] as? [Any])?.isEmpty == true)
        #expect(records[0].bsdp?.vendorClass?.systemIdentifier == "MacBookPro8,1")
        #expect(records[1].json["bsdp"]?.keys == ["messageType", "images", "selectedImage", "defaultImage",
                                                   "serverPriority", "replyPort"])
        let reply = try #require(try parsedJSON(records[1].json)["bsdp"] as? [String: Any])
        #expect(reply["messageType"] as? String == "LIST")
        #expect(reply["defaultImage"] as? String == "0x81000010")
        #expect(reply["serverPriority"] as? Int == 32768)
        #expect(reply["selectedImage"] is NSNull)
        let list = try #require(reply["images"] as? [[String: String]])
        #expect(list == [["id": "0x81000010", "name": "Mojave Install"], ["id": "0x01000011", "name": "Lab Catalina"],
                         ["id": "0x03000bb8", "name": "Apple Hardware Test"]])
    }

    @Test func listExchangeTextLines() throws {
        var decoder = PacketDecoder()
        var formatter = PacketLineFormatter()
        let lines = try Self.frames().map { formatter.line(decoder.decode($0)) }
        #expect(lines[0] == "22:13:20.000000 198.51.100.2:68 → 255.255.255.255:67 bsdp INFORM[LIST] 00:1f:5b:12:34:56 MacBookPro8,1 reply-port 1000 xid 0x12345678")
        #expect(lines[1] == "22:13:20.002500 198.51.100.1:67 → 198.51.100.2:1000 bsdp INFORM[LIST] 00:1f:5b:12:34:56 MacBookPro8,1 reply-port 1000 → ACK[LIST] 3 images, default \"Mojave Install\" (0x81000010) xid 0x12345678")
    }

    @Test func malformedOption43KeepsTheDHCPFieldsAndAnError() throws {
        var request = try Self.informList()
        request.remove(.vendorSpecificInformation)
        request.append(.vendorSpecificInformation, [1, 1, 1, 2, 9])  // sub-option 2 runs past the end
        var decoder = PacketDecoder()
        let record = decoder.decode(try udpFrame(from: (clientMAC, clientIP, 68), to: (.broadcast, .broadcast, 67),
                                                 try request.encode()))
        #expect(record.proto == .bsdp)
        #expect(record.dhcp?.xid == 0x1234_5678)
        #expect(record.error?.hasPrefix("bsdp option 43:") == true)
        #expect(record.json.keys.last == "error")
    }
}
