import NetbootWire
import Testing
@testable import BootServices
import TestSupport


/// Back-to-back simulation: the server's read machine against a model RFC 7440 client over a
/// network that loses, duplicates and reorders packets, on a simulated timeline.
@Suite struct TFTPTransferSimulationTests {
    enum Packet { case toClient(TFTPPacket), toServer(TFTPPacket) }

    struct Knobs: Sendable, CustomStringConvertible {
        var loss: Double
        var duplicate: Double
        var reorder: Double
        var windowSize: Int
        var seed: UInt64
        var description: String { "loss \(loss) dup \(duplicate) reorder \(reorder) window \(windowSize) seed \(seed)" }
    }

    @Test(arguments: [
        Knobs(loss: 0, duplicate: 0, reorder: 0, windowSize: 1, seed: 1),
        Knobs(loss: 0.1, duplicate: 0, reorder: 0, windowSize: 1, seed: 2),
        Knobs(loss: 0, duplicate: 0.2, reorder: 0, windowSize: 1, seed: 3),
        Knobs(loss: 0, duplicate: 0, reorder: 0.3, windowSize: 8, seed: 4),
        Knobs(loss: 0.05, duplicate: 0.05, reorder: 0.1, windowSize: 8, seed: 5),
        Knobs(loss: 0.2, duplicate: 0.1, reorder: 0.2, windowSize: 16, seed: 6),
        Knobs(loss: 0.1, duplicate: 0.1, reorder: 0.1, windowSize: 1, seed: 7),
    ])
    func lossyLinkStillDeliversEveryByteInOrder(_ knobs: Knobs) {
        var rng = SplitMix64(seed: knobs.seed)
        let blockSize = 64
        let size: UInt64 = 300 * 64 + 17
        let t0 = ContinuousClock.now
        var now = t0
        let configuration = TFTPTransferConfiguration(retransmitTimeout: .milliseconds(100),
                                                      maxRetransmitTimeout: .milliseconds(400), maxRetries: 20,
                                                      readAheadBytes: 64 * 1024)
        var options = TFTPNegotiatedOptions()
        options.blockSize = blockSize
        options.windowSize = knobs.windowSize
        options.acknowledged = [TFTPOption("blksize", "64")]
        var server = TFTPReadTransfer(size: size, options: options, configuration: configuration)

        // The network: packets with delivery times.
        var inFlight: [(at: ContinuousClock.Instant, packet: Packet)] = []
        func transmit(_ packet: Packet) {
            if Double.random(in: 0..<1, using: &rng) < knobs.loss { return }
            var delay = Duration.milliseconds(2)
            if Double.random(in: 0..<1, using: &rng) < knobs.reorder { delay = .milliseconds(Int.random(in: 0...6, using: &rng)) }
            inFlight.append((now + delay, packet))
            if Double.random(in: 0..<1, using: &rng) < knobs.duplicate { inFlight.append((now + delay * 2, packet)) }
        }

        // The client model: what it received, in order.
        var received: [UInt64] = []
        var clientLast: UInt64 = 0
        var clientWindowStart: UInt64 = 0
        var clientGapReported = false
        var clientDeadline = now + .milliseconds(300)
        var clientDone = false
        let numbering = TFTPBlockNumbering()

        var actions: [TFTPReadTransfer.Action] = []
        var outcome: TFTPTransferOutcome?
        func run(_ actions: inout [TFTPReadTransfer.Action]) {
            var index = 0
            while index < actions.count {
                switch actions[index] {
                case .sendOptionAcknowledgement(let list): transmit(.toClient(.optionAcknowledgement(list)))
                case .sendData(let block, let offset, let count):
                    // Encode the stream offset into the payload so the client can check it.
                    var payload = [UInt8](repeating: 0, count: count)
                    for i in 0..<count { payload[i] = UInt8(truncatingIfNeeded: (offset + UInt64(i)) &* 31) }
                    transmit(.toClient(.data(block: block, payload: payload)))
                case .sendError(let code, let message): transmit(.toClient(.error(code: code, message: message)))
                case .load(let range): server.fileDataLoaded(range, now: now, into: &actions)
                case .finish(let result): outcome = result
                }
                index += 1
            }
            actions.removeAll()
        }
        var streamOK = true
        server.start(now: now, into: &actions)
        run(&actions)
        var steps = 0
        while outcome == nil, steps < 200_000 {
            steps += 1
            // Advance to the next event.
            let nextPacket = inFlight.min { $0.at < $1.at }?.at
            var candidates = [clientDeadline]
            if let nextPacket { candidates.append(nextPacket) }
            if let deadline = server.nextDeadline { candidates.append(deadline) }
            now = max(now, candidates.min() ?? now)
            if let index = inFlight.firstIndex(where: { $0.at <= now }) {
                let packet = inFlight.remove(at: index).packet
                switch packet {
                case .toServer(let p):
                    server.packetReceived(p, now: now, into: &actions)
                    run(&actions)
                case .toClient(.optionAcknowledgement):
                    if clientLast == 0 { transmit(.toServer(.acknowledgement(block: 0))) }
                    clientDeadline = now + .milliseconds(300)
                case .toClient(.data(let wire, let payload)):
                    guard let actual = numbering.expand(wire, notAfter: clientLast + UInt64(knobs.windowSize) + 1) else {
                        break
                    }
                    let expected = clientLast + 1
                    if !clientDone, actual == expected {
                        let offset = (actual - 1) * UInt64(blockSize)
                        for (i, byte) in payload.enumerated() where byte != UInt8(truncatingIfNeeded: (offset + UInt64(i)) &* 31) {
                            streamOK = false
                        }
                        received.append(actual)
                        clientLast = actual
                        clientGapReported = false
                        clientDeadline = now + .milliseconds(300)
                        let last = payload.count < blockSize
                        if last || clientLast - clientWindowStart >= UInt64(knobs.windowSize) {
                            clientWindowStart = clientLast
                            transmit(.toServer(.acknowledgement(block: numbering.wire(clientLast))))
                        }
                        if last { clientDone = true }
                    } else if !clientDone, actual > expected {
                        if !clientGapReported {
                            clientGapReported = true
                            clientWindowStart = clientLast
                            transmit(.toServer(.acknowledgement(block: numbering.wire(clientLast))))
                        }
                    } else if actual == clientLast {
                        transmit(.toServer(.acknowledgement(block: numbering.wire(clientLast))))
                    }
                default:
                    break
                }
            } else if let deadline = server.nextDeadline, deadline <= now {
                server.deadlineReached(now: now, into: &actions)
                run(&actions)
            } else if clientDeadline <= now {
                // The client's own timeout: acknowledge the last in-order block again.
                clientDeadline = now + .milliseconds(300)
                if clientDone {
                    transmit(.toServer(.acknowledgement(block: numbering.wire(clientLast))))
                } else {
                    clientWindowStart = clientLast
                    transmit(.toServer(.acknowledgement(block: numbering.wire(clientLast))))
                }
            }
        }
        #expect(outcome == .completed, "\(knobs)")
        #expect(streamOK)
        #expect(received == Array(1...(size / UInt64(blockSize) + 1)))
        #expect(server.statistics.bytes == size)
        if knobs.loss == 0, knobs.reorder == 0 { #expect(server.statistics.retransmits == 0) }
    }
}
