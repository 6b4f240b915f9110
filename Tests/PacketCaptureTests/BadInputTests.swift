import Foundation
import NetbootWire
import Testing
@testable import PacketCapture

/// Truncated, corrupt and foreign captures: a clear error, and every packet before the damage.
@Suite struct BadInputTests {
    @Test func truncatedFileKeepsThePacketsBeforeTheCut() throws {
        let result = try CaptureFileDecoding.decode(path: fixture("truncated.pcap"))
        #expect(result.records.count == 1)
        #expect(result.records.first?.dhcp?.messageType == .discover)
        let error = try #require(result.readError)
        #expect("\(error)".contains("truncated dump file"))
    }

    @Test func corruptFileDoesNotOpen() {
        #expect(throws: CaptureError.cannotOpenFile(path: fixture("corrupt.pcap"), reason: "unknown file format")) {
            try CaptureFileDecoding.decode(path: fixture("corrupt.pcap"))
        }
    }

    @Test func missingFileSaysSo() throws {
        do {
            _ = try CaptureFileDecoding.decode(path: "/nonexistent/x.pcap")
            Issue.record("opened a missing file")
        } catch {
            #expect("\(error)".contains("No such file or directory"))
        }
    }

    @Test func nonEthernetLinkTypeIsNamed() {
        #expect(throws: CaptureError.unsupportedLinkType(dlt: 105, name: "IEEE802_11")) {
            try CaptureFileDecoding.decode(path: fixture("wlan.pcap"))
        }
        #expect("\(CaptureError.unsupportedLinkType(dlt: 105, name: "IEEE802_11"))".contains("IEEE802_11 (DLT 105)"))
    }

    @Test func filterThatDoesNotCompileCarriesLibpcapsText() throws {
        let handle = try PcapHandle.openOffline(path: fixture("tftp-peers.pcap"))
        do {
            try handle.setFilter("udp port banana")
            Issue.record("compiled a bad filter")
        } catch {
            guard case .filterDoesNotCompile(let expression, let reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(expression == "udp port banana")
            #expect(reason.contains("banana"))
        }
        try handle.setFilter("udp port 69")
        var count = 0
        while case .frame = try handle.next() { count += 1 }
        #expect(count == 3)
    }

    @Test func missingInterfaceIsNamed() {
        do {
            _ = try PcapHandle.openLive(interface: "nb-no-such-if0")
            Issue.record("opened a missing interface")
        } catch {
            // As root: no such device; as a user, libpcap may say permission first.
            switch error {
            case .noSuchInterface("nb-no-such-if0"), .permissionDenied, .cannotOpenInterface: break
            default: Issue.record("\(error)")
            }
        }
    }

    /// Frames that stop short at each layer: an error naming the layer, the rest still read.
    @Test func brokenFramesGetAnErrorAndDecodingGoesOn() throws {
        let good = try udpFrame(from: (clientMAC, clientIP, 68), to: (.broadcast, .broadcast, 67),
                                try DHCPMessage(op: .bootRequest, xid: 7, mac: clientMAC).encode())
        var cutIP = good
        cutIP.bytes = Array(good.bytes.prefix(20))
        var cutDHCP = good
        cutDHCP.bytes[16] = 0xFF  // IPv4 total length past the end of the buffer
        var badTFTP = try udpFrame(from: (clientMAC, clientIP, 2000), to: (serverMAC, serverIP, 69), [0, 1, 0x61])
        badTFTP.time.microseconds = 5
        var decoder = PacketDecoder()
        let records = [CapturedFrame(time: good.time, bytes: [1, 2, 3]), cutIP, cutDHCP, badTFTP, good].map { decoder.decode($0) }
        #expect(records[0].error?.hasPrefix("link layer:") == true)
        #expect(records[1].error?.hasPrefix("ipv4:") == true)
        #expect(records[2].error?.hasPrefix("ipv4:") == true)
        #expect(records[3].proto == .tftp)
        #expect(records[3].error?.hasPrefix("tftp:") == true)
        #expect(records[4].error == nil)
        #expect(records[4].dhcp?.xid == 7)
        var truncatedDHCP = good
        let udpStart = 14 + 20
        truncatedDHCP.bytes = try UDPFrame.encode(sourceMAC: clientMAC, destinationMAC: .broadcast, source: clientIP,
                                                  destination: .broadcast, sourcePort: 68, destinationPort: 67,
                                                  payload: Array(good.bytes[(udpStart + 8)..<(udpStart + 100)]))
        let record = decoder.decode(truncatedDHCP)
        #expect(record.proto == .dhcp)
        #expect(record.error?.hasPrefix("dhcp:") == true)
        #expect(try parsedJSON(record.json)["error"] is String)
    }

    /// Linux cooked captures (`tcpdump -i any`, v1 and v2) and raw IP decode like Ethernet.
    @Test func linuxCookedAndRawIP() throws {
        let message = try DHCPMessage(op: .bootRequest, xid: 0xABCD, mac: clientMAC).encode()
        let udp = try UDPDatagram(sourcePort: 68, destinationPort: 67, payload: message).encoded(source: .any, destination: .broadcast)
        let ip = try IPv4Packet(source: .any, destination: .broadcast, payload: udp).encoded()
        let sll: [UInt8] = [0, 4, 0, 1, 0, 6] + clientMAC.bytes + [0, 0, 0x08, 0x00] + ip
        let sll2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6] + clientMAC.bytes + [0, 0] + ip
        for (layer, bytes) in [(LinkLayer.linuxCooked, sll), (.linuxCookedV2, sll2), (.rawIP, ip)] {
            var decoder = PacketDecoder(linkLayer: layer)
            let record = decoder.decode(CapturedFrame(time: PacketTime(seconds: 1, microseconds: 0), bytes: bytes))
            #expect(record.error == nil, "\(layer)")
            #expect(record.dhcp?.xid == 0xABCD, "\(layer)")
            #expect(record.source == "0.0.0.0:68")
        }
        #expect(LinkLayer(dlt: 113) == .linuxCooked)
        #expect(LinkLayer(dlt: 276) == .linuxCookedV2)
        #expect(LinkLayer(dlt: 105) == nil)
        var decoder = PacketDecoder(linkLayer: .linuxCooked)
        #expect(decoder.decode(CapturedFrame(time: PacketTime(seconds: 1, microseconds: 0), bytes: [0, 1])).error?.contains("16 bytes") == true)
    }
}
