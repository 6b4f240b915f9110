import Foundation
import Testing
@testable import NetbootWire

/// Bytes written by real peers: `Fixtures/dhcp-peers.pcap`, a dnsmasq ↔ busybox udhcpc and
/// ISC dhclient conversation captured in network namespaces (regenerate with
/// `scripts/fixtures/capture-dhcp-peers`). Every packet must decode, re-encode to the same
/// options, and — where tshark is installed — agree with tshark on every fixed field and
/// every option instance.
@Suite struct DHCPPeerCaptureTests {
    static func records() throws -> [PcapRecord] {
        let url = try #require(Bundle.module.url(forResource: "dhcp-peers", withExtension: "pcap", subdirectory: "Fixtures"))
        return try PcapFile(decoding: [UInt8](try Data(contentsOf: url))).records
    }

    @Test func everyPacketDecodesAndRoundTrips() throws {
        let messages = try Self.records().map { record -> DHCPMessage in
            let frame = try UDPFrame(decoding: record.data)
            #expect(frame.ip.headerChecksumIsValid)
            let message = try DHCPMessage(decoding: frame.udp.payload)
            let again = try DHCPMessage(decoding: try message.encode(minimumSize: 0))
            #expect(again == message)
            return message
        }
        #expect(messages.map(\.messageType) == [.discover, .discover, .offer, .offer, .request, .ack,
                                                 .discover, .offer, .request, .ack])
        // udhcpc's exchange: PXE vendor class and host name out, dnsmasq's boot options back.
        let udhcpcDiscover = messages[0], offer = messages[2], ack = messages[5]
        #expect(try udhcpcDiscover.value(.vendorClassIdentifier) == "PXEClient:Arch:00007:UNDI:003016")
        #expect(try udhcpcDiscover.value(.hostName) == "client-one")
        #expect(udhcpcDiscover.clientMAC == MACAddress("02:00:5e:10:00:01"))
        #expect(try offer.value(.serverIdentifier) == IPv4Address(198, 51, 100, 1))
        #expect(offer.yiaddr == IPv4Address(198, 51, 100, 57))
        // To a PXE client dnsmasq sends the boot file as option 67; to dhclient in `file`/`sname`.
        #expect(try offer.value(.bootfileName) == "pxelinux.0")
        #expect(offer.bootFileName == "")
        #expect(messages[7].bootFileName == "pxelinux.0")
        #expect(messages[7].serverName == "bootsrv")
        #expect(try messages[7].value(.bootfileName) == nil)
        #expect(try ack.value(.routers) == [IPv4Address(198, 51, 100, 1)])
        #expect(try ack.value(.domainName) == "lab.example")
        #expect(try ack.value(.leaseTime) == 3600)
        #expect(try ack.value(.rootPath)?.hasPrefix("http://198.51.100.1/images/x") == true)
        // Every option with a typed key decodes without error (real peers send valid options).
        for message in messages {
            _ = try message.value(.parameterRequestList)
            _ = try message.value(.clientIdentifier)
            _ = try message.value(.maximumMessageSize)
            _ = try message.value(.subnetMask)
            _ = try message.value(.renewalTime)
            _ = try message.value(.rebindingTime)
            _ = try message.value(.requestedIPAddress)
            _ = try message.value(.broadcastAddress)
        }
    }

    @Test(.enabled(if: Tshark.shouldRun, "tshark not installed (and CI not set): skipped"))
    func agreesWithTshark() throws {
        guard Tshark.path != nil else {
            Issue.record(Comment(rawValue: Tshark.missingMessage))
            return
        }
        let url = try #require(Bundle.module.url(forResource: "dhcp-peers", withExtension: "pcap", subdirectory: "Fixtures"))
        let text = try Tshark.verbose(url)
        // Only the offload checksum errors (compared exactly below) may appear.
        let errors = text.split(separator: "\n").filter { $0.contains("Malformed") || $0.contains("Expert Info (Error") }
        #expect(errors.allSatisfy { $0.contains("Expert Info (Error/Checksum)") }, "tshark: \(errors)")
        let packets = try Tshark.pdml(url)
        let records = try Self.records()
        try #require(packets.count == records.count)
        for (fields, record) in zip(packets, records) {
            let frame = try UDPFrame(decoding: record.data)
            let message = try DHCPMessage(decoding: frame.udp.payload)
            // Checksums: the server's packets were captured on the sending host, before
            // offload filled in the UDP checksum; tshark must see exactly what we see.
            let status = try #require(fields.first { $0.name == "udp.checksum.status" }?.show)
            let expectedStatus: [UDPDatagram.ChecksumStatus: String] = [.invalid: "0", .valid: "1", .none: "2"]
            #expect(expectedStatus[frame.udp.checksumStatus] == status, "xid \(message.xid) udp checksum")
            #expect(fields.contains { $0.name == "ip.checksum.status" && $0.show == "1" })
            let dhcpOffset = record.data.count - frame.ethernet.payload.count + (frame.ip.options.count + 20) + 8
            #expect(DHCPTsharkOracleTests.tsharkInstances(fields, dhcpOffset: dhcpOffset)
                    == DHCPTsharkOracleTests.encodedInstances(message), "xid \(message.xid)")
            for (name, show) in try DHCPTsharkOracleTests.expectedTypedFields(message) {
                #expect(fields.contains { $0.name == name && $0.show == show }, "xid \(message.xid): \(name) = \(show)")
            }
        }
    }
}
