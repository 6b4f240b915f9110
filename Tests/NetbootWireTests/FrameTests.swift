import Testing
@testable import NetbootWire
import TestSupport

@Suite struct FrameTests {
    static let server = MACAddress(rawValue: 0x0200_0000_0001)
    static let client = MACAddress(rawValue: 0x0200_0000_0002)

    @Test func internetChecksumKnownAnswer() {
        // The classic worked example (RFC 1071 style): an IPv4 header with checksum 0xB861.
        let header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
                               0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7]
        #expect(InternetChecksum.checksum(header) == 0xB861)
        // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xDDF2.
        #expect(InternetChecksum.sum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0xDDF2)
        #expect(InternetChecksum.sum([0xFF]) == 0xFF00) // odd byte padded with zero
    }

    @Test func udpFrameBuildsAndDecodes() throws {
        let payload = Array("hello, dhcp; a payload past the ethernet minimum".utf8)
        let bytes = try UDPFrame.encode(sourceMAC: Self.server, destinationMAC: Self.client,
                                        source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2),
                                        sourcePort: 67, destinationPort: 68, payload: payload)
        #expect(bytes.count == 14 + 20 + 8 + payload.count)
        let frame = try UDPFrame(decoding: bytes)
        #expect(frame.ethernet.destination == Self.client && frame.ethernet.source == Self.server)
        #expect(frame.ip.source == IPv4Address(10, 0, 0, 1) && frame.ip.destination == IPv4Address(10, 0, 0, 2))
        #expect(frame.ip.headerChecksumIsValid && frame.ip.timeToLive == 64 && !frame.ip.isFragment)
        #expect(frame.udp.checksumStatus == .valid)
        #expect(frame.udp.sourcePort == 67 && frame.udp.destinationPort == 68 && frame.udp.payload == payload)
    }

    @Test func shortFramesArePaddedAndPaddingIsDropped() throws {
        let bytes = try UDPFrame.encode(sourceMAC: Self.server, destinationMAC: .broadcast,
                                        source: .any, destination: .broadcast, sourcePort: 68, destinationPort: 67, payload: [1])
        #expect(bytes.count == EthernetFrame.minimumSize)
        #expect(try UDPFrame(decoding: bytes).udp.payload == [1])
    }

    @Test func checksumZeroMeansNoneAndCorruptionIsReported() throws {
        var bytes = try UDPFrame.encode(sourceMAC: Self.server, destinationMAC: Self.client, source: IPv4Address(1, 2, 3, 4),
                                        destination: IPv4Address(5, 6, 7, 8), sourcePort: 1, destinationPort: 2,
                                        payload: Array(repeating: 0xAB, count: 30))
        bytes[14 + 20 + 6] = 0
        bytes[14 + 20 + 7] = 0
        #expect(try UDPFrame(decoding: bytes).udp.checksumStatus == .none)
        bytes[14 + 20 + 7] = 1
        #expect(try UDPFrame(decoding: bytes).udp.checksumStatus == .invalid)
        bytes[14 + 10] ^= 0xFF
        #expect(try UDPFrame(decoding: bytes).ip.headerChecksumIsValid == false)
    }

    @Test func vlanTaggedFramesDecode() throws {
        let inner = try IPv4Packet(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2),
                                   payload: UDPDatagram(sourcePort: 67, destinationPort: 68, payload: [9, 9])
                                       .encoded(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2))).encoded()
        let tagged = EthernetFrame(destination: Self.client, source: Self.server,
                                   vlanTags: [VLANTag(id: 42, priority: 5, dropEligible: true)], etherType: .ipv4, payload: inner)
        let bytes = tagged.encoded()
        #expect(Array(bytes[12..<18]) == [0x81, 0x00, 0xB0, 0x2A, 0x08, 0x00])
        let frame = try UDPFrame(decoding: bytes)
        #expect(frame.ethernet.vlanTags == [VLANTag(id: 42, priority: 5, dropEligible: true)])
        #expect(frame.udp.payload == [9, 9])
        // Q-in-Q: outer 802.1ad, inner 802.1Q.
        let qinq = EthernetFrame(destination: Self.client, source: Self.server,
                                 vlanTags: [VLANTag(id: 100, tpid: .serviceVLAN), VLANTag(id: 7)], etherType: .ipv4, payload: inner)
        #expect(try UDPFrame(decoding: qinq.encoded()).ethernet.vlanTags.map(\.id) == [100, 7])
    }

    @Test func ipv4OptionsAndFragments() throws {
        let udp = try UDPDatagram(sourcePort: 5, destinationPort: 6, payload: [1, 2, 3])
            .encoded(source: IPv4Address(1, 1, 1, 1), destination: IPv4Address(2, 2, 2, 2))
        let withOptions = IPv4Packet(source: IPv4Address(1, 1, 1, 1), destination: IPv4Address(2, 2, 2, 2),
                                     options: [0x94, 0x04, 0x00, 0x00], payload: udp) // router alert
        let bytes = try withOptions.encoded()
        #expect(bytes[0] == 0x46)
        let decoded = try IPv4Packet(decoding: bytes)
        #expect(decoded.options == [0x94, 0x04, 0x00, 0x00] && decoded.headerChecksumIsValid)
        #expect(try UDPDatagram(decoding: decoded).payload == [1, 2, 3])

        var fragment = withOptions
        fragment.moreFragments = true
        let first = try IPv4Packet(decoding: try fragment.encoded())
        #expect(first.isFragment)
        #expect(throws: WireError.self) { try UDPDatagram(decoding: first) }
        fragment.moreFragments = false
        fragment.fragmentOffset = 3
        #expect(try IPv4Packet(decoding: try fragment.encoded()).isFragment)
    }

    @Test func malformedFramesAreTypedErrors() throws {
        let good = try UDPFrame.encode(sourceMAC: Self.server, destinationMAC: Self.client, source: IPv4Address(1, 2, 3, 4),
                                       destination: IPv4Address(5, 6, 7, 8), sourcePort: 1, destinationPort: 2,
                                       payload: Array(repeating: 7, count: 40))
        for length in 0..<good.count {
            #expect(throws: WireError.self) { try UDPFrame(decoding: Array(good.prefix(length))) }
        }
        var bytes = good
        bytes[14] = 0x65 // version 6
        #expect(throws: WireError.self) { try UDPFrame(decoding: bytes) }
        bytes = good
        bytes[14] = 0x44 // IHL 4
        #expect(throws: WireError.self) { try UDPFrame(decoding: bytes) }
        bytes = good
        bytes[14 + 2] = 0xFF // total length past the buffer
        #expect(throws: WireError.self) { try UDPFrame(decoding: bytes) }
        bytes = good
        bytes[14 + 20 + 4] = 0xFF // udp length past the ip payload
        #expect(throws: WireError.self) { try UDPFrame(decoding: bytes) }
        bytes = good
        bytes[14 + 20 + 5] = 7 // udp length below 8
        bytes[14 + 20 + 4] = 0
        #expect(throws: WireError.self) { try UDPFrame(decoding: bytes) }
        bytes = good
        bytes[14 + 9] = 6 // TCP
        #expect(throws: WireError.self) { try UDPFrame(decoding: bytes) }
        bytes = good
        bytes[12] = 0x86
        bytes[13] = 0xDD // IPv6 ethertype
        #expect(throws: WireError.self) { try UDPFrame(decoding: bytes) }
        var rng = SplitMix64(seed: 77)
        for _ in 0..<5_000 {
            var mutated = good
            mutated[Int.random(in: 0..<mutated.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            _ = try? UDPFrame(decoding: mutated)
        }
    }
}
