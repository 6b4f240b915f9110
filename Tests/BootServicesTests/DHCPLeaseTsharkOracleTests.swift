import Foundation
import NetbootWire
import Testing
@testable import BootServices
import TestSupport

/// The engine's OFFER, ACK and NAK, mapped to DHCP messages, framed as the shell will send them
/// and dissected by tshark (an independent decoder): the fields tshark reads are the engine's,
/// and tshark reports nothing malformed. Runs when tshark is installed, always in CI.
@Suite(.enabled(if: TsharkProcess.shouldRun,
                "tshark not installed (and CI not set)"))
struct DHCPLeaseTsharkOracleTests {
    static let fields = ["dhcp.option.dhcp", "dhcp.ip.your", "dhcp.ip.client", "dhcp.flags.bc", "dhcp.option.dhcp_server_id",
                         "dhcp.option.ip_address_lease_time", "dhcp.option.renewal_time_value",
                         "dhcp.option.rebinding_time_value", "dhcp.option.subnet_mask", "dhcp.option.router",
                         "dhcp.option.domain_name_server", "dhcp.option.domain_name", "dhcp.option.hostname",
                         "dhcp.option.message"]

    func run(_ arguments: [String]) throws -> String {
        String(decoding: try TsharkProcess.run(arguments), as: UTF8.self)
    }

    @Test func offerAckAndNakAsTsharkSeesThem() throws {
        let mac = Lab.reservedMAC
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        var discover = DHCPMessage(op: .bootRequest, xid: 7, mac: mac)
        discover.messageType = .discover
        discover.setValue(.parameterRequestList, [.subnetMask, .router, .domainNameServer, .domainName, .hostName])
        var request = DHCPMessage(op: .bootRequest, xid: 7, mac: mac)
        request.messageType = .request
        request.setValue(.requestedIPAddress, Lab.reservedAddress)
        request.setValue(.serverIdentifier, Lab.server)
        var reboot = DHCPMessage(op: .bootRequest, xid: 8, mac: Lab.mac(3))
        reboot.messageType = .request
        reboot.setValue(.requestedIPAddress, IPv4Address(192, 168, 7, 7))

        var frames: [[UInt8]] = []
        for message in [discover, request, reboot] {
            let decision = engine.handle(try DHCPLeaseRequest(message: message, receivedOn: Lab.interface), now: Lab.t0)
            let reply = try #require(decision.reply)
            let bytes = try reply.message(answering: message).encode()
            frames.append(try UDPFrame.encode(sourceMAC: MACAddress(rawValue: 0x0200_0000_00fe), destinationMAC: mac,
                                              source: Lab.server, destination: reply.destination.address,
                                              sourcePort: 67, destinationPort: reply.destination.port, payload: bytes))
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-lease-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("replies.pcap")
        try Data(PcapFile(records: frames.map { PcapRecord(data: $0) }).encoded()).write(to: file)

        let verbose = try run(["-n", "-V", "-r", file.path])
        #expect(!verbose.contains("Malformed") && !verbose.contains("Expert Info (Error") && !verbose.contains("Expert Info (Warning"),
                "tshark complains:\n\(verbose)")
        let lines = try run(["-n", "-r", file.path, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
                            + Self.fields.flatMap { ["-e", $0] }).split(separator: "\n").map(String.init)
        #expect(lines == [
            "2|10.0.0.50|0.0.0.0|0|10.0.0.2|3600|1800|3150|255.255.255.0|10.0.0.1|10.0.0.1|lab.example|mac-01|",
            "5|10.0.0.50|0.0.0.0|0|10.0.0.2|3600|1800|3150|255.255.255.0|10.0.0.1|10.0.0.1|lab.example|mac-01|",
            "6|0.0.0.0|0.0.0.0|0|10.0.0.2|||||||||requested address 192.168.7.7 is not on this network",
        ])
    }
}

