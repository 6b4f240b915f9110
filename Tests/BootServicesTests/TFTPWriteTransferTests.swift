import NetbootWire
import Testing
@testable import BootServices

@Suite struct TFTPWriteTransferTests {
    typealias Action = TFTPWriteTransfer.Action
    let t0 = ContinuousClock.now
    let configuration = TFTPTransferConfiguration(retransmitTimeout: .seconds(1), maxRetransmitTimeout: .seconds(2),
                                                  maxRetries: 2, maxUploadSize: 10_000)

    func machine(blockSize: Int = 4, windowSize: Int = 1, oack: Bool = false, tsize: UInt64? = nil) -> TFTPWriteTransfer {
        var options = TFTPNegotiatedOptions()
        options.blockSize = blockSize
        options.windowSize = windowSize
        options.transferSize = tsize
        if oack { options.acknowledged = [TFTPOption("blksize", String(blockSize))] }
        return TFTPWriteTransfer(options: options, configuration: configuration)
    }

    @Test func lockstepUploadAppendsInOrderCommitsAndDallies() {
        var m = machine()
        var actions: [Action] = []
        m.start(now: t0, into: &actions)
        #expect(actions == [.sendAcknowledgement(block: 0)])
        actions.removeAll()
        m.packetReceived(.data(block: 1, payload: [1, 2, 3, 4]), now: t0, into: &actions)
        #expect(actions == [.append([1, 2, 3, 4]), .sendAcknowledgement(block: 1)])
        actions.removeAll()
        // A duplicate (our ACK was lost) is acknowledged again, not appended.
        m.packetReceived(.data(block: 1, payload: [1, 2, 3, 4]), now: t0, into: &actions)
        #expect(actions == [.sendAcknowledgement(block: 1)])
        actions.removeAll()
        m.packetReceived(.data(block: 2, payload: [5]), now: t0, into: &actions)
        #expect(actions == [.append([5]), .commit, .sendAcknowledgement(block: 2)])
        actions.removeAll()
        m.packetReceived(.data(block: 2, payload: [5]), now: t0 + .milliseconds(500), into: &actions)
        #expect(actions == [.sendAcknowledgement(block: 2)])
        actions.removeAll()
        m.deadlineReached(now: t0 + .seconds(1), into: &actions)
        #expect(actions == [.finish(.completed)])
        #expect(m.statistics.bytes == 5)
    }

    @Test func optionsAreAnsweredWithOACKAndATooLargeTsizeIsRefused() {
        var m = machine(oack: true)
        var actions: [Action] = []
        m.start(now: t0, into: &actions)
        #expect(actions == [.sendOptionAcknowledgement([TFTPOption("blksize", "4")])])
        var big = machine(tsize: 20_000)
        actions.removeAll()
        big.start(now: t0, into: &actions)
        #expect(actions.first == .sendError(.diskFull, "File too large: 20000 bytes, limit 10000"))
        #expect(big.isFinished)
    }

    @Test func windowedUploadAcknowledgesPerWindowAndOnceOnAGap() {
        var m = machine(windowSize: 3)
        var actions: [Action] = []
        m.start(now: t0, into: &actions)
        actions.removeAll()
        m.packetReceived(.data(block: 1, payload: [1, 1, 1, 1]), now: t0, into: &actions)
        m.packetReceived(.data(block: 2, payload: [2, 2, 2, 2]), now: t0, into: &actions)
        #expect(actions == [.append([1, 1, 1, 1]), .append([2, 2, 2, 2])])
        actions.removeAll()
        m.packetReceived(.data(block: 3, payload: [3, 3, 3, 3]), now: t0, into: &actions)
        #expect(actions == [.append([3, 3, 3, 3]), .sendAcknowledgement(block: 3)])
        actions.removeAll()
        // Block 4 lost: 5 and 6 show the gap; only one ACK 3 goes out.
        m.packetReceived(.data(block: 5, payload: [5, 5, 5, 5]), now: t0, into: &actions)
        m.packetReceived(.data(block: 6, payload: [6, 6, 6, 6]), now: t0, into: &actions)
        #expect(actions == [.sendAcknowledgement(block: 3)])
        actions.removeAll()
        m.packetReceived(.data(block: 4, payload: [4, 4, 4, 4]), now: t0, into: &actions)
        #expect(actions == [.append([4, 4, 4, 4])])
    }

    @Test func silenceRetransmitsTheLastAckThenTimesOut() {
        var m = machine()
        var actions: [Action] = []
        m.start(now: t0, into: &actions)
        actions.removeAll()
        m.deadlineReached(now: t0 + .seconds(1), into: &actions)
        #expect(actions == [.sendAcknowledgement(block: 0)])
        actions.removeAll()
        m.deadlineReached(now: t0 + .seconds(3), into: &actions)
        #expect(actions == [.sendAcknowledgement(block: 0)])
        actions.removeAll()
        m.deadlineReached(now: t0 + .seconds(5), into: &actions)
        #expect(actions == [.finish(.timedOut)])
    }

    @Test func oversizedBlocksAndUploadsPastTheLimitFail() {
        var m = machine()
        var actions: [Action] = []
        m.start(now: t0, into: &actions)
        actions.removeAll()
        m.packetReceived(.data(block: 1, payload: [1, 2, 3, 4, 5]), now: t0, into: &actions)
        #expect(actions.first == .sendError(.illegalOperation, "DATA 1 carries 5 bytes, blksize is 4"))

        var big = machine(blockSize: 4096)
        actions.removeAll()
        big.start(now: t0, into: &actions)
        for block in 1...3 {
            big.packetReceived(.data(block: UInt16(block), payload: [UInt8](repeating: 0, count: 4096)), now: t0,
                               into: &actions)
        }
        #expect(actions.contains(.sendError(.diskFull, "Upload exceeds the limit of 10000 bytes")))
        #expect(big.isFinished)
    }
}
