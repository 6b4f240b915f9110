import NIOCore
import NIOEmbedded
import NetbootWire
import PacketCapture
import Testing
@testable import NetbootServer

@Suite struct FlightRecorderTests {
    @Test func keepsTheLastNPacketsInOrder() throws {
        let recorder = FlightRecorder(capacity: 3)
        for index in 0..<5 {
            recorder.record(frame: [UInt8(index)], direction: .received, interface: "eth0",
                            time: PacketTime(seconds: Int64(index), microseconds: 0))
        }
        let (entries, total) = recorder.snapshot()
        #expect(total == 5)
        #expect(entries.map(\.frame) == [[2], [3], [4]])
        let pcap = try PcapFile(decoding: recorder.pcap())
        #expect(pcap.records.map(\.seconds) == [2, 3, 4])
    }

    @Test func offRecordsNothing() {
        let recorder = FlightRecorder(capacity: 0)
        recorder.record(frame: [1], direction: .sent, interface: "eth0")
        #expect(recorder.snapshot().total == 0)
        #expect(!recorder.isEnabled)
    }

    /// The tap records datagrams both ways as decodable Ethernet/IPv4/UDP frames.
    @Test func tapRecordsDatagramsInAndOut() throws {
        let recorder = FlightRecorder(capacity: 8)
        let channel = EmbeddedChannel(handler: FlightRecorderTap(recorder: recorder, interface: "veth0"))
        let peer = try SocketAddress(ipAddress: "198.51.100.2", port: 2070)
        let rrq = TFTPPacket.readRequest(TFTPRequest(filename: "pxelinux.0")).encoded()
        try channel.writeInbound(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: rrq)))
        try channel.writeOutbound(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: [0, 5, 0, 1, 0x78, 0])))
        let frames = recorder.snapshot().entries
        #expect(frames.map(\.direction) == [.received, .sent])
        let inbound = try UDPFrame(decoding: frames[0].frame)
        #expect(inbound.ip.source == IPv4Address(198, 51, 100, 2))
        #expect(inbound.udp.sourcePort == 2070)
        #expect(inbound.udp.payload == rrq)
        let outbound = try UDPFrame(decoding: frames[1].frame)
        #expect(outbound.ip.destination == IPv4Address(198, 51, 100, 2))
        #expect(outbound.udp.destinationPort == 2070)
        _ = try channel.finish()
    }

    /// A `UDP_SEGMENT` write (a TFTP window) is recorded as the datagrams the kernel sends.
    @Test func tapSplitsASegmentedWriteIntoItsDatagrams() throws {
        let recorder = FlightRecorder(capacity: 8)
        let channel = EmbeddedChannel(handler: FlightRecorderTap(recorder: recorder, interface: "veth0"))
        let peer = try SocketAddress(ipAddress: "198.51.100.2", port: 2070)
        let bytes = (0..<10).map { UInt8($0) }
        let metadata = AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil,
                                                               segmentSize: 4)
        try channel.writeOutbound(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: bytes),
                                                    metadata: metadata))
        let payloads = try recorder.snapshot().entries.map { try UDPFrame(decoding: $0.frame).udp.payload }
        #expect(payloads == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        _ = try channel.finish()
    }

    /// Addresses as on the wire (issue 14 item 8): a broadcast is recorded as sent to
    /// 255.255.255.255 (from the packet info), not to the wildcard the socket is bound to; an
    /// answer leaves from the interface's address, or from the address its request went to,
    /// and the tap passes the envelope on without the packet info only it reads.
    @Test func tapRecordsTheRealAddressesOfAWildcardSocket() throws {
        let recorder = FlightRecorder(capacity: 8)
        let server = IPv4Address(198, 51, 100, 1)
        let channel = EmbeddedChannel(handler: FlightRecorderTap(recorder: recorder, interface: "veth0", address: server))
        try channel.bind(to: SocketAddress(ipAddress: "0.0.0.0", port: 67)).wait()
        let peer = try SocketAddress(ipAddress: "198.51.100.2", port: 68)
        let broadcast = try SocketAddress(ipAddress: "255.255.255.255", port: 0)
        try channel.writeInbound(AddressedEnvelope(
            remoteAddress: peer, data: ByteBuffer(bytes: [1]),
            metadata: .init(ecnState: .transportNotCapable, packetInfo: NIOPacketInfo(destinationAddress: broadcast, interfaceIndex: 2))))
        try channel.writeOutbound(AddressedEnvelope(remoteAddress: try SocketAddress(ipAddress: "255.255.255.255", port: 68),
                                                    data: ByteBuffer(bytes: [2])))
        let other = try SocketAddress(ipAddress: "203.0.113.9", port: 0)
        try channel.writeOutbound(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: [3]),
                                                    metadata: FlightRecorderTap.answering(from: other)))
        let frames = try recorder.snapshot().entries.map { try UDPFrame(decoding: $0.frame) }
        #expect(frames.map(\.ip.destination) == [IPv4Address(255, 255, 255, 255), IPv4Address(255, 255, 255, 255),
                                                IPv4Address(198, 51, 100, 2)])
        #expect(frames.map(\.ip.source) == [IPv4Address(198, 51, 100, 2), server, IPv4Address(203, 0, 113, 9)])
        #expect(frames.map(\.udp.destinationPort) == [67, 68, 68] && frames[1].udp.sourcePort == 67)
        _ = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self)
        let passed = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
        #expect(passed.metadata == nil)
        _ = try channel.finish()
    }
}
