import Foundation
import Testing
@testable import NetbootWire

/// Oracle tests: DHCP OFFER and ACK built here, wrapped in Ethernet/IPv4/UDP, written to a
/// pcap and dissected by tshark. Every DHCP field tshark reports must match what we encoded,
/// every option instance must sit where we put it, and tshark must report nothing malformed.
///
/// Enabled when tshark is installed, and always when `CI` is set: in CI a missing tshark is
/// a failure with a clear message, elsewhere the suite is skipped (the trait prints why).
@Suite(.enabled(if: Tshark.shouldRun, "tshark not installed (and CI not set): oracle tests skipped"))
struct DHCPTsharkOracleTests {
    static let serverMAC = MACAddress(rawValue: 0x5254_0012_3401)
    static let clientMAC = MACAddress(rawValue: 0x0011_2233_4455)
    static let serverIP = IPv4Address(192, 168, 56, 1)
    static let guid: [UInt8] = [0x44, 0x45, 0x4C, 0x4C, 0x58, 0x00, 0x10, 0x38, 0x80, 0x56, 0xB4, 0xC0, 0x4F, 0x42, 0x31, 0x32]

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
    static func colonHex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":") }

    /// OFFER: many options, 82 with sub-options, raw BSDP option 43, a root path long enough
    /// to need an RFC 3396 split.
    static func offer() -> DHCPMessage {
        var m = DHCPMessage(op: .bootReply, xid: 0x2B3C_4D5E, mac: clientMAC)
        m.hops = 1
        m.secs = 4
        m.broadcast = true
        m.yiaddr = IPv4Address(192, 168, 56, 20)
        m.siaddr = serverIP
        m.giaddr = IPv4Address(192, 168, 56, 254)
        m.sname = Array("netboot.lab".utf8)
        m.file = Array("boot/x86_64/undionly.kpxe".utf8)
        m.messageType = .offer
        m.setValue(.serverIdentifier, serverIP)
        m.setValue(.leaseTime, 3600)
        m.setValue(.renewalTime, 1800)
        m.setValue(.rebindingTime, 3150)
        m.setValue(.subnetMask, IPv4Address(255, 255, 255, 0))
        m.setValue(.routers, [IPv4Address(192, 168, 56, 254), IPv4Address(192, 168, 56, 253)])
        m.setValue(.domainNameServers, [IPv4Address(192, 168, 56, 1)])
        m.setValue(.domainName, "lab.example")
        m.setValue(.hostName, "client-20")
        m.setValue(.broadcastAddress, IPv4Address(192, 168, 56, 255))
        m.setValue(.vendorClassIdentifier, "AAPLBSDPC")
        // BSDP sub-options: message type LIST (1), server priority (4) 0x8000.
        m.setValue(.vendorSpecificInformation, [1, 1, 1, 4, 2, 0x80, 0x00])
        m.setValue(.relayAgentInformation, RelayAgentInformation([
            .init(.circuitID, [0x00, 0x04, 0x00, 0x0A, 0x01, 0x02]), .init(.remoteID, Array("switch-7".utf8)),
        ]))
        m.setValue(.tftpServerName, "192.168.56.1")
        m.setValue(.bootfileName, "boot/x86_64/undionly.kpxe")
        m.setValue(.clientSystemArchitecture, [.x64UEFI])
        m.setValue(.clientMachineIdentifier, DHCPClientMachineIdentifier(identifier: guid))
        m.setValue(.rootPath, "http://192.168.56.1/images/" + String(repeating: "a", count: 300) + ".dmg")
        return m
    }

    /// ACK: option overload 3 with options in `file` and `sname`, plus the client-side options.
    static func ack() -> DHCPMessage {
        var m = DHCPMessage(op: .bootReply, xid: 0x0BAD_CAFE, mac: clientMAC)
        m.ciaddr = IPv4Address(192, 168, 56, 20)
        m.yiaddr = IPv4Address(192, 168, 56, 20)
        m.siaddr = serverIP
        m.messageType = .ack
        m.setValue(.serverIdentifier, serverIP)
        m.setValue(.optionOverload, .both)
        m.setValue(.vendorClassIdentifier, "PXEClient")
        m.setValue(.clientIdentifier, DHCPClientIdentifier(mac: clientMAC))
        m.setValue(.maximumMessageSize, 1472)
        m.setValue(.parameterRequestList, [.subnetMask, .router, .vendorSpecificInformation, .bootfileName])
        m.setValue(.clientNetworkInterfaceIdentifier, DHCPClientNetworkInterface(major: 3, minor: 16))
        m.setValue(.ipxeEncapsulated, IPXEEncapsulatedOptions([DHCPSubOption(IPXEEncapsulatedOptions.http, [1])]))
        m.setValue(.requestedIPAddress, IPv4Address(192, 168, 56, 20))
        m.fileOptions = [DHCPOption(.bootfileName, Array("http://192.168.56.1/boot.ipxe".utf8))]
        m.snameOptions = [DHCPOption(.tftpServerName, Array("tftp.lab".utf8))]
        return m
    }

    /// The (name, key) pairs tshark should report for the typed content of a message; the key
    /// is tshark's `show` text. Option instances themselves are checked separately.
    static func expectedTypedFields(_ m: DHCPMessage) throws -> [(String, String)] {
        var fields: [(String, String)] = [
            ("dhcp.type", String(m.op.rawValue)), ("dhcp.hw.type", "0x0\(m.htype)"), ("dhcp.hw.len", String(m.hlen)),
            ("dhcp.hops", String(m.hops)), ("dhcp.id", "0x" + hex(withUnsafeBytes(of: m.xid.bigEndian, Array.init))),
            ("dhcp.secs", String(m.secs)), ("dhcp.flags", "0x" + hex([UInt8(m.flags >> 8), UInt8(m.flags & 0xFF)])),
            ("dhcp.flags.bc", m.broadcast ? "1" : "0"), ("dhcp.flags.reserved", "0x0000"),
            ("dhcp.ip.client", m.ciaddr.description), ("dhcp.ip.your", m.yiaddr.description),
            ("dhcp.ip.server", m.siaddr.description), ("dhcp.ip.relay", m.giaddr.description),
            ("dhcp.hw.mac_addr", try #require(m.clientMAC).description),
            ("dhcp.hw.addr_padding", colonHex(Array(m.chaddr.dropFirst(6)))),
            ("dhcp.cookie", "99.130.83.99"),
        ]
        if let name = m.serverName { fields.append(("dhcp.server", name)) }
        if let file = m.bootFileName { fields.append(("dhcp.file", file)) }
        return fields
    }

    /// Option instances (code, length, data) per area — "options", "file", "sname" — as the
    /// encoder lays them out (RFC 3396 split included).
    static func encodedInstances(_ m: DHCPMessage) -> [String: [[UInt8]]] {
        func instances(_ list: [DHCPOption]) -> [[UInt8]] {
            list.flatMap { option -> [[UInt8]] in
                var out: [[UInt8]] = []
                var rest = option.data[...]
                repeat {
                    let chunk = Array(rest.prefix(255))
                    out.append([option.code.rawValue, UInt8(chunk.count)] + chunk)
                    rest = rest.dropFirst(chunk.count)
                } while !rest.isEmpty
                return out
            }
        }
        return ["options": instances(m.options), "file": instances(m.fileOptions), "sname": instances(m.snameOptions)]
    }

    /// The option instances tshark dissected, per area, found by their frame position;
    /// `dhcpOffset` is where the DHCP message starts in the frame.
    static func tsharkInstances(_ fields: [Tshark.Field], dhcpOffset: Int) -> [String: [[UInt8]]] {
        let snameRange = (dhcpOffset + 44)..<(dhcpOffset + 108), fileRange = (dhcpOffset + 108)..<(dhcpOffset + 236)
        var seen: [String: [[UInt8]]] = ["options": [], "file": [], "sname": []]
        for field in fields where field.name == "dhcp.option.type" && field.value != "ff" && field.value != "00" {
            let area = snameRange.contains(field.pos) ? "sname" : fileRange.contains(field.pos) ? "file" : "options"
            seen[area, default: []].append(hexBytes(field.value))
        }
        return seen
    }

    /// Checks one dissected packet against the message it carries: instances per area, and
    /// every other DHCP field tshark reports must be one of `typed` or the fixed fields.
    static func check(_ fields: [Tshark.Field], against m: DHCPMessage, typed: [(String, String)]) throws {
        var expected = try expectedTypedFields(m) + typed
        var unexpected: [Tshark.Field] = []
        for field in fields where field.name.hasPrefix("dhcp") {
            switch field.name {
            case "dhcp.option.type", "dhcp.option.end", "dhcp.option.padding", "dhcp.option.length", "dhcp.option.value":
                continue // instances are compared whole below; end/pad carry nothing
            default:
                if let index = expected.firstIndex(where: { $0.0 == field.name && $0.1 == field.show }) {
                    expected.remove(at: index)
                } else {
                    unexpected.append(field)
                }
            }
        }
        #expect(tsharkInstances(fields, dhcpOffset: 14 + 20 + 8) == encodedInstances(m), "option instances per area (tshark vs encoded)")
        #expect(unexpected.isEmpty, "fields tshark reported that we did not expect: \(unexpected)")
        #expect(expected.isEmpty, "fields we expected tshark to report: \(expected)")
    }

    static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    static func frame(_ m: DHCPMessage) throws -> [UInt8] {
        try UDPFrame.encode(sourceMAC: serverMAC, destinationMAC: clientMAC, source: serverIP,
                            destination: m.yiaddr, sourcePort: 67, destinationPort: 68, payload: try m.encode())
    }

    @Test func offerAndAckMatchTshark() throws {
        guard Tshark.path != nil else {
            Issue.record(Comment(rawValue: Tshark.missingMessage))
            return
        }
        let offer = Self.offer(), ack = Self.ack()
        let file = try Tshark.writePcap([try Self.frame(offer), try Self.frame(ack)])
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }

        let text = try Tshark.verbose(file)
        #expect(!text.contains("Malformed"), "tshark reports a malformed packet:\n\(text)")
        #expect(!text.contains("Expert Info (Error"), "tshark reports an error:\n\(text)")
        #expect(!text.contains("Expert Info (Warning"), "tshark reports a warning:\n\(text)")

        let packets = try Tshark.pdml(file)
        try #require(packets.count == 2)
        for packet in packets {
            #expect(packet.contains { $0.name == "ip.checksum.status" && $0.show == "1" }, "ip checksum good")
            #expect(packet.contains { $0.name == "udp.checksum.status" && $0.show == "1" }, "udp checksum good")
        }
        try Self.check(packets[0], against: offer, typed: [
            ("dhcp.option.dhcp", "2"), ("dhcp.option.dhcp_server_id", "192.168.56.1"),
            ("dhcp.option.ip_address_lease_time", "3600"), ("dhcp.option.renewal_time_value", "1800"),
            ("dhcp.option.rebinding_time_value", "3150"), ("dhcp.option.subnet_mask", "255.255.255.0"),
            ("dhcp.option.router", "192.168.56.254"), ("dhcp.option.router", "192.168.56.253"),
            ("dhcp.option.domain_name_server", "192.168.56.1"), ("dhcp.option.domain_name", "lab.example"),
            ("dhcp.option.hostname", "client-20"), ("dhcp.option.broadcast_address", "192.168.56.255"),
            ("dhcp.option.vendor_class_id", "AAPLBSDPC"),
            ("dhcp.option.vendor.bsdp.suboption", "1"), ("dhcp.option.suboption_length", "1"),
            ("dhcp.option.vendor.bsdp.message_type", "1"),
            ("dhcp.option.vendor.bsdp.suboption", "4"), ("dhcp.option.suboption_length", "2"),
            ("dhcp.option.vendor.bsdp.server_priority", "32768"),
            ("dhcp.option.agent_information_option.suboption", "1"), ("dhcp.option.suboption_length", "6"),
            ("dhcp.option.agent_information_option.value", "00:04:00:0a:01:02"),
            ("dhcp.option.agent_information_option.agent_circuit_id", "00:04:00:0a:01:02"),
            ("dhcp.option.agent_information_option.suboption", "2"), ("dhcp.option.suboption_length", "8"),
            ("dhcp.option.agent_information_option.value", Self.colonHex(Array("switch-7".utf8))),
            ("dhcp.option.agent_information_option.agent_remote_id", Self.colonHex(Array("switch-7".utf8))),
            ("dhcp.option.tftp_server_name", "192.168.56.1"), ("dhcp.option.bootfile_name", "boot/x86_64/undionly.kpxe"),
            ("dhcp.option.client_system_architecture", "7"),
            // tshark prints the GUID with its first three fields little-endian (SMBIOS order).
            ("dhcp.client_id.uuid", "4c4c4544-0058-3810-8056-b4c04f423132"),
            ("dhcp.option.root_path", "http://192.168.56.1/images/" + String(repeating: "a", count: 228)),
            ("dhcp.option.root_path", String(repeating: "a", count: 72) + ".dmg"),
        ])
        try Self.check(packets[1], against: ack, typed: [
            ("dhcp.option.dhcp", "5"), ("dhcp.option.dhcp_server_id", "192.168.56.1"),
            ("dhcp.option.option_overload", "3"), ("dhcp.server_name_overloaded_by_dhcp", ""),
            ("dhcp.boot_filename_overloaded_by_dhcp", ""),
            ("dhcp.option.vendor_class_id", "PXEClient"),
            ("dhcp.hw.type", "0x01"), ("dhcp.hw.mac_addr", Self.clientMAC.description),
            ("dhcp.option.dhcp_max_message_size", "1472"),
            ("dhcp.option.request_list_item", "1"), ("dhcp.option.request_list_item", "3"),
            ("dhcp.option.request_list_item", "43"), ("dhcp.option.request_list_item", "67"),
            ("dhcp.client_network_id_major", "3"), ("dhcp.client_network_id_minor", "16"),
            ("dhcp.option.requested_ip_address", "192.168.56.20"),
            ("dhcp.option.bootfile_name", "http://192.168.56.1/boot.ipxe"),
            ("dhcp.option.tftp_server_name", "tftp.lab"),
        ])
    }
}
