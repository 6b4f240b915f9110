import Foundation
@testable import NetbootWire

/// Test-only DHCP/IPv4/UDP/Ethernet frame and pcap writer for the tshark oracle tests.
/// (The DHCP codec and the Frames/Pcap writers live on another branch; until they are merged
/// these few lines build the bytes by hand from RFC 2131, 791, 768 and the pcap format.)
enum OracleFrames {
    struct Reply {
        var xid: UInt32 = 0x5EED_0001
        var chaddr = MACAddress(rawValue: 0x0016_CB12_3456)
        var ciaddr = IPv4Address(192, 168, 77, 20)
        var siaddr = IPv4Address(192, 168, 77, 1)
        var file: [UInt8] = []
        /// Options before the option-43 instances, in order (53, 54, 60, …).
        var options: [(UInt8, [UInt8])]
        var instances: [[UInt8]]
    }

    /// Bytes of the DHCP message without its option-43 instances (header, cookie, other
    /// options, end): the `restOfReplyLength` the BSDP packer needs.
    static func restLength(_ options: [(UInt8, [UInt8])]) -> Int {
        236 + 4 + options.reduce(0) { $0 + 2 + $1.1.count } + 1
    }

    /// The DHCP reply (RFC 2131 §2), padded to 300 bytes.
    static func dhcp(_ reply: Reply) -> [UInt8] {
        var w = ByteWriter()
        w.writeUInt8(2); w.writeUInt8(1); w.writeUInt8(6); w.writeUInt8(0)
        w.writeUInt32(reply.xid)
        w.writeUInt16(0); w.writeUInt16(0)
        w.writeBytes(reply.ciaddr.bytes)
        w.writeBytes(IPv4Address.any.bytes)
        w.writeBytes(reply.siaddr.bytes)
        w.writeBytes(IPv4Address.any.bytes)
        w.writeFixed(reply.chaddr.bytes, width: 16)
        w.writeZeros(64)
        w.writeFixed(reply.file, width: 128)
        w.writeBytes([99, 130, 83, 99])
        for (code, data) in reply.options {
            w.writeUInt8(code); w.writeUInt8(UInt8(data.count)); w.writeBytes(data)
        }
        for instance in reply.instances {
            w.writeUInt8(43); w.writeUInt8(UInt8(instance.count)); w.writeBytes(instance)
        }
        w.writeUInt8(255)
        w.writeZeros(BSDPReplySize.minimumReplyLength - w.count)
        return w.bytes
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// Ethernet II / IPv4 / UDP 67 → 68 around `payload`, checksums filled in.
    static func frame(_ payload: [UInt8], from: IPv4Address, to: IPv4Address, dstMAC: MACAddress) -> [UInt8] {
        let udpLength = 8 + payload.count
        var udp = ByteWriter()
        udp.writeUInt16(67); udp.writeUInt16(68); udp.writeUInt16(UInt16(udpLength)); udp.writeUInt16(0)
        udp.writeBytes(payload)
        var pseudo = ByteWriter()
        pseudo.writeBytes(from.bytes); pseudo.writeBytes(to.bytes)
        pseudo.writeUInt8(0); pseudo.writeUInt8(17); pseudo.writeUInt16(UInt16(udpLength))
        pseudo.writeBytes(udp.bytes)
        let udpSum = checksum(pseudo.bytes)
        udp.setUInt16(udpSum == 0 ? 0xFFFF : udpSum, at: 6)

        var ip = ByteWriter()
        ip.writeUInt8(0x45); ip.writeUInt8(0); ip.writeUInt16(UInt16(20 + udpLength))
        ip.writeUInt16(0x1234); ip.writeUInt16(0)
        ip.writeUInt8(64); ip.writeUInt8(17); ip.writeUInt16(0)
        ip.writeBytes(from.bytes); ip.writeBytes(to.bytes)
        ip.setUInt16(checksum(ip.bytes), at: 10)

        var frame = ByteWriter()
        frame.writeBytes(dstMAC.bytes)
        frame.writeBytes(MACAddress(rawValue: 0x0200_0000_0001).bytes)
        frame.writeUInt16(0x0800)
        frame.writeBytes(ip.bytes)
        frame.writeBytes(udp.bytes)
        return frame.bytes
    }

    /// A classic little-endian pcap file (LINKTYPE_ETHERNET).
    static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        func le32(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) } }
        func le16(_ v: UInt16) { out.append(UInt8(truncatingIfNeeded: v)); out.append(UInt8(truncatingIfNeeded: v >> 8)) }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(1)
        for (index, frame) in frames.enumerated() {
            le32(1_790_000_000 + UInt32(index)); le32(0)
            le32(UInt32(frame.count)); le32(UInt32(frame.count))
            out += frame
        }
        return out
    }
}

/// One field of tshark's PDML output.
struct PDMLField {
    var name: String
    var show: String
    var value: String
}

/// Runs tshark on a pcap and returns, per packet, the PDML fields in document order and the
/// `-V` text.
enum TShark {
    static let path = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func run(_ arguments: [String]) throws -> String {
        guard let path else { return "" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(pcap: [UInt8]) throws -> (packets: [[PDMLField]], verbose: String, pdml: String) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bsdp-oracle-\(UUID().uuidString).pcap")
        try Data(pcap).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let pdml = try run(["-T", "pdml", "-r", url.path])
        let verbose = try run(["-V", "-r", url.path])
        var packets: [[PDMLField]] = []
        for line in pdml.split(separator: "\n") {
            if line.contains("<packet>") { packets.append([]); continue }
            guard line.contains("<field "), !packets.isEmpty, let name = attribute("name", in: line) else { continue }
            packets[packets.count - 1].append(PDMLField(name: name, show: attribute("show", in: line) ?? "",
                                                        value: attribute("value", in: line) ?? ""))
        }
        return (packets, verbose, pdml)
    }

    private static func attribute(_ key: String, in line: Substring) -> String? {
        guard let start = line.range(of: " \(key)=\"") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()
}
