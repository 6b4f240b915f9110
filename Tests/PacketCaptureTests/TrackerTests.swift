import NetbootWire
import Testing
@testable import PacketCapture

@Suite struct TrackerTests {
    let client = IPv4Address(10, 0, 0, 2)
    let server = IPv4Address(10, 0, 0, 1)
    let other = IPv4Address(10, 0, 0, 9)

    @Test func followsARequestToTheServersNewPort() {
        var tracker = TFTPTransferTracker()
        let key = tracker.classify(source: client, sourcePort: 2070, destination: server, destinationPort: 69)
        #expect(key == TFTPTransferKey(client: client, clientPort: 2070, server: server))
        // The server answers from a fresh port: learned.
        #expect(tracker.classify(source: server, sourcePort: 40001, destination: client, destinationPort: 2070) == key)
        #expect(tracker.classify(source: client, sourcePort: 2070, destination: server, destinationPort: 40001) == key)
        // Another port of the server, another host, another client port: not this transfer.
        #expect(tracker.classify(source: server, sourcePort: 40002, destination: client, destinationPort: 2070) == nil)
        #expect(tracker.classify(source: other, sourcePort: 40001, destination: client, destinationPort: 2070) == nil)
        #expect(tracker.classify(source: client, sourcePort: 2071, destination: server, destinationPort: 40001) == nil)
        // DNS between the same hosts is not TFTP.
        #expect(tracker.classify(source: client, sourcePort: 5353, destination: server, destinationPort: 53) == nil)
    }

    @Test func aNewRequestFromTheSamePortRestartsTheTransfer() {
        var tracker = TFTPTransferTracker()
        _ = tracker.classify(source: client, sourcePort: 2070, destination: server, destinationPort: 69)
        _ = tracker.classify(source: server, sourcePort: 40001, destination: client, destinationPort: 2070)
        _ = tracker.classify(source: client, sourcePort: 2070, destination: server, destinationPort: 69)
        #expect(tracker.classify(source: server, sourcePort: 40005, destination: client, destinationPort: 2070) != nil)
        #expect(tracker.classify(source: server, sourcePort: 40001, destination: client, destinationPort: 2070) == nil)
        #expect(tracker.count == 1)
    }

    @Test func capacityForgetsTheOldest() {
        var tracker = TFTPTransferTracker(capacity: 2)
        for port in UInt16(1000)..<1003 {
            _ = tracker.classify(source: client, sourcePort: port, destination: server, destinationPort: 69)
        }
        #expect(tracker.count == 2)
        #expect(tracker.classify(source: server, sourcePort: 4000, destination: client, destinationPort: 1000) == nil)
        #expect(tracker.classify(source: server, sourcePort: 4001, destination: client, destinationPort: 1002) != nil)
    }

    /// Retransmitted DATA blocks are counted, not added to the bytes; 16-bit block numbers roll over.
    @Test func conversationCountsRetransmitsAndRollsOver() throws {
        var decoder = PacketDecoder()
        var groups = Conversations()
        func send(_ from: (MACAddress, IPv4Address, UInt16), _ to: (MACAddress, IPv4Address, UInt16), _ packet: TFTPPacket) throws {
            groups.add(decoder.decode(try udpFrame(from: from, to: to, packet.encoded())))
        }
        let c = (clientMAC, clientIP, UInt16(3000)), s = (serverMAC, serverIP, UInt16(69)), t = (serverMAC, serverIP, UInt16(50000))
        try send(c, s, .readRequest(TFTPRequest(filename: "big.img", options: [TFTPOption("blksize", "8"), TFTPOption("windowsize", "4")])))
        try send(t, c, .optionAcknowledgement([TFTPOption("blksize", "8"), TFTPOption("windowsize", "4")]))
        var block: UInt16 = 1
        for _ in 0..<65_536 {
            try send(t, c, .data(block: block, payload: [UInt8](repeating: 1, count: 8)))
            block &+= 1
        }
        try send(t, c, .data(block: 0, payload: [UInt8](repeating: 1, count: 8)))  // retransmission of 0
        try send(t, c, .data(block: 1, payload: [2, 2, 2]))  // final short block after rollover
        let transfer = try #require(groups.transfers.first)
        #expect(transfer.blockSize == 8)
        #expect(transfer.windowSize == 4)
        #expect(transfer.retransmits == 1)
        #expect(transfer.bytes == 65_536 * 8 + 3)
        #expect(transfer.outcome == .complete)
        #expect(groups.decodeErrors == 0)
    }
}
