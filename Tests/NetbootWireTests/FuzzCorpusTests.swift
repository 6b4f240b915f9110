import Foundation
import Testing
import NetbootWire

/// The committed fuzz seeds and regression inputs (Fuzz/corpus/<target>/, docs/fuzzing.md) run
/// through the same checks as the libFuzzer harnesses on every `swift test`: each input decodes
/// or throws a typed ``WireError``, and what decodes re-encodes to equal values.
@Suite struct FuzzCorpusTests {
    /// Fuzz/corpus/<target>/ from the repository root, found relative to this file.
    static func inputs(_ target: String) throws -> [(String, [UInt8])] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folder = root.appendingPathComponent("Fuzz/corpus/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return try names.map { ($0, Array(try Data(contentsOf: folder.appendingPathComponent($0)))) }
    }

    @Test func dhcpDecodeRoundTrip() throws {
        let inputs = try Self.inputs("dhcp")
        #expect(!inputs.isEmpty)
        for (name, bytes) in inputs {
            let message: DHCPMessage
            do {
                message = try DHCPMessage(decoding: bytes)
            } catch {
                continue  // a typed WireError: the contract
            }
            _ = try? message.bsdpMessage()
            guard let encoded = try? message.encode() else { continue }
            let again = try DHCPMessage(decoding: encoded)
            #expect(again == message, "\(name)")
        }
    }

    @Test func bsdpInstancesDecode() throws {
        let carriers: [BSDPCarrier] = [.discover, .offer, .request, .ack, .inform]
        for (_, bytes) in try Self.inputs("bsdp") {
            guard let first = bytes.first else { continue }
            var instances: [[UInt8]] = []
            var index = 1
            while index < bytes.count {
                let end = min(bytes.count, index + 1 + Int(bytes[index]))
                instances.append(Array(bytes[min(index + 1, end)..<end]))
                index = end
            }
            guard let message = try? BSDPMessage.decode(carrier: carriers[Int(first) % carriers.count],
                                                        instances: instances) else { continue }
            _ = try? message.encode()
        }
    }

    @Test func tftpPacketRoundTrip() throws {
        for (name, bytes) in try Self.inputs("tftp-packet") {
            #expect(Netascii.decode(Netascii.encode(bytes)) == bytes, "\(name)")
            guard let packet = try? TFTPPacket(decoding: bytes) else { continue }
            #expect(try TFTPPacket(decoding: packet.encoded()) == packet, "\(name)")
        }
    }

    @Test func framesAndPcap() throws {
        for (name, bytes) in try Self.inputs("frames") {
            _ = try? UDPFrame(decoding: bytes)
            if let frame = try? EthernetFrame(decoding: bytes) {
                #expect(try EthernetFrame(decoding: frame.encoded()) == frame, "\(name)")
            }
        }
        for (name, bytes) in try Self.inputs("pcap") {
            guard let file = try? PcapFile(decoding: bytes) else { continue }
            #expect(try PcapFile(decoding: file.encoded()).records.count == file.records.count, "\(name)")
        }
    }
}
