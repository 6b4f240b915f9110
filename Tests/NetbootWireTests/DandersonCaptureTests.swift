import Foundation
import Testing
@testable import NetbootWire

/// Known-answer test on bytes written outside this project: danderson/netboot's `dhcp4`
/// test capture and its reviewed `.parsed` decoding (Go `Packet.DebugString`).
@Suite struct DandersonCaptureTests {
    /// One packet as the `.parsed` file lists it.
    struct Expected {
        var type = ""
        var xid: [UInt8] = []
        var broadcast = false
        var mac = ""
        var ciaddr = "", yiaddr = "", siaddr = "", giaddr = ""
        var sname = "", file = ""
        var options: [UInt8: [UInt8]] = [:]
    }

    static func fixture(_ name: String, _ ext: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    /// Parses Go `[]byte{0x1, 0x2}` literals.
    static func goBytes(_ text: Substring) throws -> [UInt8] {
        let inner = try #require(text.split(separator: "{", maxSplits: 1).last?.dropLast())
        return try inner.split(separator: ",").map { item in
            let hex = item.trimmingCharacters(in: .whitespaces).dropFirst(2)
            return try #require(UInt8(hex, radix: 16))
        }
    }

    static func parseExpected(_ text: String) throws -> [Expected] {
        var result: [Expected] = []
        for block in text.components(separatedBy: "======\n") where !block.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true)
            try #require(lines.count >= 3)
            var entry = Expected()
            entry.type = String(lines[0])
            entry.xid = try goBytes(lines[1])
            entry.broadcast = lines[2].trimmingCharacters(in: .whitespaces) == "Broadcast"
            for line in lines.dropFirst(3) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                func value(_ key: String) -> String? {
                    trimmed.hasPrefix(key + ":") ? String(trimmed.dropFirst(key.count + 1)).trimmingCharacters(in: .whitespaces) : nil
                }
                if let v = value("MAC") { entry.mac = v }
                else if let v = value("ClientIP") { entry.ciaddr = v }
                else if let v = value("YourIP") { entry.yiaddr = v }
                else if let v = value("ServerIP") { entry.siaddr = v }
                else if let v = value("RelayIP") { entry.giaddr = v }
                else if let v = value("BootServerName") { entry.sname = v }
                else if let v = value("BootFilename") { entry.file = v }
                else if trimmed == "Options:" { continue }
                else {
                    let parts = trimmed.split(separator: ":", maxSplits: 1)
                    let code = try #require(UInt8(parts[0]))
                    entry.options[code] = try goBytes(parts[1])
                }
            }
            result.append(entry)
        }
        return result
    }

    @Test func captureDecodesToTheParsedFile() throws {
        let pcap = try PcapFile(decoding: [UInt8](try Self.fixture("dhcp-danderson", "pcap")))
        let expected = try Self.parseExpected(String(decoding: try Self.fixture("dhcp-danderson", "parsed"), as: UTF8.self))
        #expect(pcap.linkType == PcapFile.linkTypeEthernet)
        #expect(pcap.nanosecondResolution)
        #expect(pcap.records.count == 4)
        #expect(expected.count == pcap.records.count)

        // tshark -o udp.check_checksum:TRUE agrees: the second packet's UDP checksum is wrong
        // (a capture on the sending host sees checksums before offload fills them in).
        let udpChecksums: [UDPDatagram.ChecksumStatus] = [.valid, .invalid, .valid, .valid]
        for ((record, want), checksum) in zip(zip(pcap.records, expected), udpChecksums) {
            let frame = try UDPFrame(decoding: record.data)
            #expect(frame.ip.headerChecksumIsValid)
            #expect(frame.udp.checksumStatus == checksum)
            let message = try DHCPMessage(decoding: frame.udp.payload)
            #expect(message.messageType?.description == want.type)
            #expect(message.xid == want.xid.reduce(0) { $0 << 8 | UInt32($1) })
            #expect(message.broadcast == want.broadcast)
            #expect(message.clientMAC?.description == want.mac)
            #expect(message.ciaddr.description == want.ciaddr)
            #expect(message.yiaddr.description == want.yiaddr)
            #expect(message.siaddr.description == want.siaddr)
            #expect(message.giaddr.description == want.giaddr)
            #expect(message.serverName == want.sname)
            #expect(message.bootFileName == want.file)

            // The Go decoder lists every option but 53 (shown as the type line), one value per code.
            var got: [UInt8: [UInt8]] = [:]
            for option in message.allOptions where option.code != .messageType {
                got[option.code.rawValue] = message.data(for: option.code)
            }
            #expect(got == want.options, "options of \(want.type) xid \(want.xid)")

            // What we decoded re-encodes to the same options bytes (order and instances kept).
            let reencoded = try DHCPMessage(decoding: try message.encode())
            #expect(reencoded == message)
        }
    }

    @Test func typedAccessorsReadTheCapture() throws {
        let pcap = try PcapFile(decoding: [UInt8](try Self.fixture("dhcp-danderson", "pcap")))
        let messages = try pcap.records.map { try DHCPMessage(decoding: try UDPFrame(decoding: $0.data).udp.payload) }
        let discover = messages[0]
        #expect(try discover.value(.maximumMessageSize) == 1260)
        #expect(try discover.value(.vendorClassIdentifier) == "PXEClient:Arch:00000:UNDI:002001")
        #expect(try discover.value(.clientSystemArchitecture) == [.x86BIOS])
        #expect(try discover.value(.clientNetworkInterfaceIdentifier) == DHCPClientNetworkInterface(type: 1, major: 2, minor: 1))
        let guid = try #require(try discover.value(.clientMachineIdentifier))
        #expect(guid.type == 0 && guid.identifier.count == 16)
        let offer = messages[2]
        #expect(try offer.value(.subnetMask) == IPv4Address(255, 255, 255, 0))
        #expect(try offer.value(.routers) == [IPv4Address(192, 168, 16, 1)])
        #expect(try offer.value(.hostName) == "core01")
        #expect(try offer.value(.domainName) == "home.universe.tf")
        #expect(try offer.value(.leaseTime) == 3600)
        #expect(try offer.value(.renewalTime) == 1800)
        #expect(try offer.value(.rebindingTime) == 3150)
        #expect(try offer.value(.broadcastAddress) == IPv4Address(192, 168, 16, 255))
        let request = messages[3]
        #expect(try request.value(.requestedIPAddress) == IPv4Address(192, 168, 40, 4))
        #expect(try request.value(.parameterRequestList)?.first == .subnetMask)
    }
}
