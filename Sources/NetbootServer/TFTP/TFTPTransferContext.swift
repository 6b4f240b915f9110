import BootEvents
import BootServices
import Foundation
import Logging
import NIOCore
import NIOPosix
import NetbootWire

/// What a transfer's handler is given when its socket is set up: Sendable, so it can cross
/// from the listener's event loop to the transfer's.
struct TFTPTransferContext: Sendable {
    var key: TFTPTransferRegistry.Key
    var peer: SocketAddress
    var request: TFTPRequest
    var mappedPath: String
    var clientClass: String?
    var options: TFTPNegotiatedOptions
    var configuration: TFTPTransferConfiguration
    var registry: TFTPTransferRegistry
    var metrics: TFTPMetrics
    var threadPool: NIOThreadPool
    var logger: Logger
    var started: ContinuousClock.Instant
    /// DATA windows go out as `UDP_SEGMENT` writes (``TFTPServiceOptions/segmentationOffload``).
    var segmentationOffload: Bool = false
    /// Taps the transfer's datagrams (docs/capture.md).
    var flightRecorder: FlightRecorder? = nil

    /// The one log line per transfer.
    func logFinished(direction: String, outcome: TFTPTransferOutcome, statistics: TFTPTransferStatistics,
                     file: String) {
        let duration = ContinuousClock.now - started
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        var line = "tftp \(direction) client=\(peer.ipAddress ?? "?"):\(peer.port ?? 0) file=\(request.filename)"
        line += " path=\(file) mode=\(request.mode) \(options)"
        if let clientClass { line += " class=\(clientClass)" }
        line += " bytes=\(statistics.bytes) duration=\(formatSeconds(seconds)) retransmits=\(statistics.retransmits)"
        line += " outcome=\(outcome)"
        switch outcome {
        case .completed, .abortedByPeer: logger.info("\(line)")
        case .timedOut, .failed: logger.warning("\(line)")
        }
        metrics.finished(direction: direction, outcome: outcome, statistics: statistics, duration: duration)
        let rate = seconds > 0 ? Int(Double(statistics.bytes) / seconds) : 0
        BootEventFeed.shared.publish(BootEvent(at: Date(), service: .tftp, mac: nil, client: peer.ipAddress,
                                               summary: "\(direction) \(request.filename) \(outcome)",
                                               detail: "bytes=\(statistics.bytes) rate=\(rate)B/s duration=\(formatSeconds(seconds))"))
    }

    /// Admits one datagram on a transfer's socket: a packet from the client's transfer ID is
    /// decoded (into `scratch`, reused across packets); one from a foreign transfer ID gets
    /// ERROR 5 and leaves the transfer alone (RFC 1350 §4); a malformed one is dropped. Drops
    /// are counted. Returns the packet to hand to the transfer machine, or nil.
    func admit(_ envelope: AddressedEnvelope<ByteBuffer>, on context: ChannelHandlerContext,
               scratch: inout [UInt8]) -> TFTPPacket? {
        guard envelope.remoteAddress == peer else {
            metrics.dropped("wrong_tid")
            if let reply = Self.foreignReply(to: envelope) {
                let buffer = context.channel.allocator.buffer(bytes: reply)
                context.writeAndFlush(NIOAny(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)),
                                      promise: nil)
            }
            return nil
        }
        scratch.removeAll(keepingCapacity: true)
        envelope.data.withUnsafeReadableBytes { scratch.append(contentsOf: $0) }
        guard let packet = try? TFTPPacket(decoding: scratch) else {
            metrics.dropped("malformed")
            return nil
        }
        return packet
    }

    /// The answer to a datagram from a foreign transfer ID, or nil to stay silent (never answer
    /// an ERROR, so two servers cannot ping-pong errors).
    static func foreignReply(to envelope: AddressedEnvelope<ByteBuffer>) -> [UInt8]? {
        foreignReply(opcode: envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt16.self))
    }

    static func foreignReply(opcode: UInt16?) -> [UInt8]? {
        guard let opcode, (1...6).contains(opcode), opcode != TFTPOpcode.error.rawValue else { return nil }
        return TFTPForeignTransferID.reply.encoded()
    }
}

private func formatSeconds(_ seconds: Double) -> String {
    let millis = Int((seconds * 1000).rounded())
    let fraction = String(millis % 1000)
    return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
}

/// Keeps one `Scheduled` task per transfer and moves it only when the machine's deadline
/// comes earlier, so that the hot path (one deadline per ACK) does not allocate a timer each time.
struct TFTPDeadlineTimer {
    private var scheduled: Scheduled<Void>?
    private var at: ContinuousClock.Instant?

    mutating func arm(_ deadline: ContinuousClock.Instant?, on loop: any EventLoop,
                      fire: @escaping () -> Void) {
        guard let deadline else { return }
        if let at, at <= deadline, scheduled != nil { return }
        scheduled?.cancel()
        at = deadline
        let wait = deadline - ContinuousClock.now
        let nanoseconds = max(0, wait.components.seconds * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000)
        scheduled = loop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds), fire)
    }

    /// The task fired: forget it so the next `arm` schedules afresh.
    mutating func fired() {
        scheduled = nil
        at = nil
    }

    mutating func cancel() {
        scheduled?.cancel()
        scheduled = nil
        at = nil
    }
}
