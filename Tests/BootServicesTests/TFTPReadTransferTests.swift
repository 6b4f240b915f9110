import NetbootWire
import Testing
@testable import BootServices

/// Timeline tests of the RRQ sender: every event carries its own `now`.
@Suite struct TFTPReadTransferTests {
    typealias Action = TFTPReadTransfer.Action
    let t0 = ContinuousClock.now
    let configuration = TFTPTransferConfiguration(retransmitTimeout: .seconds(1), maxRetransmitTimeout: .seconds(4),
                                                  maxRetries: 3, readAheadBytes: 64 * 1024)

    func options(blockSize: Int = 512, windowSize: Int = 1, oack: Bool = false) -> TFTPNegotiatedOptions {
        var options = TFTPNegotiatedOptions()
        options.blockSize = blockSize
        options.windowSize = windowSize
        if oack { options.acknowledged = [TFTPOption("blksize", String(blockSize))] }
        return options
    }

    /// DATA actions for full 512-byte blocks.
    func blocks(_ numbers: ClosedRange<Int>) -> [Action] {
        var result: [Action] = []
        for number in numbers {
            result.append(.sendData(block: UInt16(number), offset: UInt64(number - 1) * 512, count: 512))
        }
        return result
    }

    /// Starts a transfer and answers its first load with everything.
    func started(size: UInt64, _ options: TFTPNegotiatedOptions) -> (TFTPReadTransfer, [Action]) {
        var machine = TFTPReadTransfer(size: size, options: options, configuration: configuration)
        var actions: [Action] = []
        machine.start(now: t0, into: &actions)
        if case .load(let range)? = actions.last {
            actions.removeAll()
            machine.fileDataLoaded(0..<max(range.upperBound, size), now: t0, into: &actions)
        }
        return (machine, actions)
    }

    @Test func lockstepWithoutOptionsSendsBlockByBlockAndEndsWithAnEmptyBlock() {
        var (machine, actions) = started(size: 1024, options())
        #expect(actions == [.sendData(block: 1, offset: 0, count: 512)])
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 1), now: t0 + .milliseconds(1), into: &actions)
        #expect(actions == [.sendData(block: 2, offset: 512, count: 512)])
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 2), now: t0 + .milliseconds(2), into: &actions)
        // 1024 is an exact multiple of 512: RFC 1350 ends with a zero-length block.
        #expect(actions == [.sendData(block: 3, offset: 1024, count: 0)])
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 3), now: t0 + .milliseconds(3), into: &actions)
        #expect(actions == [.finish(.completed)])
        #expect(machine.statistics.bytes == 1024)
        #expect(machine.nextDeadline == nil)
    }

    @Test func emptyFileIsOneEmptyBlock() {
        var (machine, actions) = started(size: 0, options())
        #expect(actions == [.sendData(block: 1, offset: 0, count: 0)])
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 1), now: t0, into: &actions)
        #expect(actions == [.finish(.completed)])
    }

    @Test func optionAcknowledgementWaitsForAckZeroAndIsRetransmitted() {
        var machine = TFTPReadTransfer(size: 100, options: options(blockSize: 1468, oack: true),
                                       configuration: configuration)
        var actions: [Action] = []
        machine.start(now: t0, into: &actions)
        #expect(actions == [.sendOptionAcknowledgement([TFTPOption("blksize", "1468")])])
        #expect(machine.nextDeadline == t0 + .seconds(1))
        actions.removeAll()
        machine.deadlineReached(now: t0 + .seconds(1), into: &actions)
        #expect(actions == [.sendOptionAcknowledgement([TFTPOption("blksize", "1468")])])
        #expect(machine.nextDeadline == t0 + .seconds(3))
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 0), now: t0 + .seconds(2), into: &actions)
        #expect(actions == [.load(0..<100)])
        actions.removeAll()
        machine.fileDataLoaded(0..<100, now: t0 + .seconds(2), into: &actions)
        #expect(actions == [.sendData(block: 1, offset: 0, count: 100)])
    }

    @Test func peerErrorAfterOACKEndsTheTransferQuietly() {
        var machine = TFTPReadTransfer(size: 100, options: options(oack: true), configuration: configuration)
        var actions: [Action] = []
        machine.start(now: t0, into: &actions)
        actions.removeAll()
        machine.packetReceived(.error(code: .optionNegotiationFailed, message: "User aborted"), now: t0, into: &actions)
        #expect(actions == [.finish(.abortedByPeer(.optionNegotiationFailed, "User aborted"))])
    }

    @Test func duplicateAcksNeverTriggerASend() {
        var (machine, actions) = started(size: 5000, options())
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 1), now: t0, into: &actions)
        #expect(actions == [.sendData(block: 2, offset: 512, count: 512)])
        actions.removeAll()
        for _ in 0..<5 { machine.packetReceived(.acknowledgement(block: 1), now: t0, into: &actions) }
        machine.packetReceived(.acknowledgement(block: 0), now: t0, into: &actions)
        #expect(actions.isEmpty)
        #expect(machine.statistics.duplicates == 6)
    }

    @Test func timeoutsRetransmitWithBackoffThenGiveUp() {
        var (machine, actions) = started(size: 5000, options())
        actions.removeAll()
        var now = t0
        for expectedWait in [1, 2, 4] {
            #expect(machine.nextDeadline == now + .seconds(expectedWait))
            now = now + .seconds(expectedWait)
            machine.deadlineReached(now: now, into: &actions)
            #expect(actions == [.sendData(block: 1, offset: 0, count: 512)])
            actions.removeAll()
        }
        #expect(machine.nextDeadline == now + .seconds(4))
        machine.deadlineReached(now: now + .seconds(4), into: &actions)
        #expect(actions == [.finish(.timedOut)])
        #expect(machine.statistics.retransmits == 3)
    }

    /// The documented rule (docs/tftp.md): with the defaults a silent peer gets the OACK and 5
    /// retransmissions, each waited for in full (RFC 2349's timeout is the wait before a
    /// retransmission, so the last one needs one too): 1+2+4+8+8+8 = 31 s, not 23.
    @Test func withTheDefaultsASilentPeerIsGivenUpAfter31Seconds() {
        var machine = TFTPReadTransfer(size: 5000, options: options(oack: true),
                                       configuration: TFTPTransferConfiguration())
        var actions: [Action] = []
        machine.start(now: t0, into: &actions)
        var sends = 0
        var now = t0
        while let deadline = machine.nextDeadline, now < t0 + .seconds(100) {
            actions.removeAll()
            now = deadline
            machine.deadlineReached(now: now, into: &actions)
            sends += actions.filter { if case .sendOptionAcknowledgement = $0 { true } else { false } }.count
        }
        #expect(actions == [.finish(.timedOut)])
        #expect(now == t0 + .seconds(31))
        #expect(sends == 5 && machine.statistics.retransmits == 5)
    }

    @Test func anEarlyDeadlineCallDoesNothing() {
        var (machine, actions) = started(size: 5000, options())
        actions.removeAll()
        machine.deadlineReached(now: t0 + .milliseconds(999), into: &actions)
        #expect(actions.isEmpty)
    }

    @Test func windowIsSentWholeAndAPartialAckResendsFromTheNextBlock() {
        var (machine, actions) = started(size: 10 * 512, options(windowSize: 4))
        #expect(actions == blocks(1...4))
        actions.removeAll()
        // Block 3 was lost; the client acknowledges 2 (RFC 7440 §4).
        machine.packetReceived(.acknowledgement(block: 2), now: t0 + .milliseconds(5), into: &actions)
        #expect(actions == blocks(3...6))
        #expect(machine.statistics.retransmits == 2)
        actions.removeAll()
        // The same ACK again (one per out-of-order block) must not resend anything.
        machine.packetReceived(.acknowledgement(block: 2), now: t0 + .milliseconds(6), into: &actions)
        #expect(actions.isEmpty)
        machine.packetReceived(.acknowledgement(block: 6), now: t0 + .milliseconds(7), into: &actions)
        #expect(actions == blocks(7...10))
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 10), now: t0 + .milliseconds(8), into: &actions)
        #expect(actions == [.sendData(block: 11, offset: 5120, count: 0)])
    }

    @Test func windowTimeoutResendsTheWholeWindow() {
        var (machine, actions) = started(size: 10 * 512, options(windowSize: 3))
        actions.removeAll()
        machine.deadlineReached(now: t0 + .seconds(1), into: &actions)
        #expect(actions == blocks(1...3))
        #expect(machine.statistics.retransmits == 3)
    }

    @Test func dataIsSentOnlyFromLoadedRanges() {
        var machine = TFTPReadTransfer(size: 200_000, options: options(blockSize: 1000, windowSize: 8),
                                       configuration: configuration)
        var actions: [Action] = []
        machine.start(now: t0, into: &actions)
        #expect(actions == [.load(0..<65536)])
        actions.removeAll()
        machine.fileDataLoaded(0..<3500, now: t0, into: &actions)
        // Blocks 1–3 fit in what is loaded; block 4 needs more, so a new load follows.
        #expect(actions.prefix(3) == [.sendData(block: 1, offset: 0, count: 1000),
                                      .sendData(block: 2, offset: 1000, count: 1000),
                                      .sendData(block: 3, offset: 2000, count: 1000)])
        #expect(actions.last == .load(0..<65536))
    }

    @Test func theNextChunkIsRequestedWhileHalfTheCurrentOneIsStillUnsent() {
        var machine = TFTPReadTransfer(size: 200_000, options: options(blockSize: 1000), configuration: configuration)
        var actions: [Action] = []
        machine.start(now: t0, into: &actions)
        #expect(actions == [.load(0..<65536)])
        actions.removeAll()
        machine.fileDataLoaded(0..<65536, now: t0, into: &actions)
        for block in 1...32 {
            #expect(actions == [.sendData(block: UInt16(block), offset: UInt64(block - 1) * 1000, count: 1000)])
            actions.removeAll()
            machine.packetReceived(.acknowledgement(block: UInt16(block)), now: t0, into: &actions)
        }
        // Block 33 ends at 33 000: less than 32 KiB loaded beyond it, so the next chunk is asked for
        // from the oldest unacknowledged byte, while sending goes on from what is loaded.
        #expect(actions == [.sendData(block: 33, offset: 32000, count: 1000), .load(32000..<97536)])
        actions.removeAll()
        machine.packetReceived(.acknowledgement(block: 33), now: t0, into: &actions)
        #expect(actions == [.sendData(block: 34, offset: 33000, count: 1000)])
    }

    @Test func blockNumbersRollOverToZeroPastBlock65535() {
        let blocks: UInt64 = 70_000
        var (machine, actions) = started(size: blocks * 8 + 3, options(blockSize: 8, windowSize: 16))
        var now = t0
        var seen: [UInt16] = []
        var loops = 0
        while !machine.isFinished, loops < 100_000 {
            loops += 1
            var last: UInt16?
            for case .sendData(let block, _, _) in actions {
                last = block
                seen.append(block)
            }
            actions.removeAll()
            now = now + .milliseconds(1)
            if let last { machine.packetReceived(.acknowledgement(block: last), now: now, into: &actions) }
        }
        #expect(machine.isFinished)
        #expect(machine.statistics.bytes == blocks * 8 + 3)
        #expect(seen.count == Int(blocks) + 1)
        #expect(seen[65534] == 65535)
        #expect(seen[65535] == 0)
        #expect(seen[65536] == 1)
        #expect(machine.statistics.retransmits == 0)
    }

    @Test func unexpectedOpcodesFromThePeerAreIllegal() {
        var (machine, actions) = started(size: 5000, options())
        actions.removeAll()
        machine.packetReceived(.data(block: 1, payload: []), now: t0, into: &actions)
        #expect(actions.first == .sendError(.illegalOperation, "Unexpected DATA during a read transfer"))
        #expect(machine.isFinished)
    }
}
