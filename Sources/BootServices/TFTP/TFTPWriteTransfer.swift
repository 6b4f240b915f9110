import NetbootWire

/// The receiving side of one WRQ (RFC 1350, 2347, 2348, 2349, 7440) as a pure state machine.
///
/// Only in-order payloads are handed to the shell (``Action/append(_:)``), so the file is
/// written sequentially. With a window (RFC 7440) an ACK goes out every `windowsize` blocks,
/// and once when a gap shows (the last in-order block, so the sender resends from there).
/// After the last block the machine dallies one timeout to re-acknowledge a retransmitted
/// final block whose ACK was lost (RFC 1350 §6), then finishes.
public struct TFTPWriteTransfer: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What the shell must do.
    public enum Action: Hashable, Sendable {
        /// Send an OACK carrying these options; DATA 1 is expected next.
        case sendOptionAcknowledgement([TFTPOption])
        /// Send ACK `block` (wire number).
        case sendAcknowledgement(block: UInt16)
        /// Send an ERROR to the peer.
        case sendError(TFTPErrorCode, String)
        /// Append these payload bytes (in transfer order) to the file being written.
        case append([UInt8])
        /// The last block arrived: make the file visible under its final name.
        case commit
        /// The transfer is over; an uncommitted file must be discarded.
        case finish(TFTPTransferOutcome)
    }

    private enum State: Hashable, Sendable {
        /// OACK or ACK 0 sent; waiting for DATA 1.
        case waitingForFirstBlock
        /// Receiving DATA; `received` is the last in-order block.
        case receiving
        /// The last block was received and acknowledged; waiting in case its ACK was lost.
        case dallying
        /// Finished; every further event is ignored.
        case finished
    }

    public let options: TFTPNegotiatedOptions
    public private(set) var statistics = TFTPTransferStatistics()
    /// When ``deadlineReached(now:into:)`` is due, or nil.
    public private(set) var nextDeadline: Instant?

    private var state: State = .waitingForFirstBlock
    private let configuration: TFTPTransferConfiguration
    private let baseTimeout: Duration
    private let maxTimeout: Duration
    private var received: UInt64 = 0
    private var lastAcknowledged: UInt64 = 0
    private var gapReported = false
    private var retries = 0
    private var timeout: Duration

    public init(options: TFTPNegotiatedOptions, configuration: TFTPTransferConfiguration) {
        self.options = options
        self.configuration = configuration
        if let seconds = options.timeoutSeconds {
            baseTimeout = .seconds(seconds)
            maxTimeout = max(configuration.maxRetransmitTimeout, baseTimeout)
        } else {
            baseTimeout = configuration.retransmitTimeout
            maxTimeout = configuration.maxRetransmitTimeout
        }
        timeout = baseTimeout
    }

    public var isFinished: Bool { state == .finished }

    /// Answers the WRQ: OACK when options were accepted, else ACK 0. Refuses an announced
    /// tsize above the upload limit with ERROR 3 (RFC 2349).
    public mutating func start(now: Instant, into actions: inout [Action]) {
        guard state == .waitingForFirstBlock else { return }
        if let size = options.transferSize, size > configuration.maxUploadSize {
            fail(.diskFull, "File too large: \(size) bytes, limit \(configuration.maxUploadSize)", into: &actions)
            return
        }
        sendFirstAnswer(now: now, into: &actions)
    }

    /// A packet from the peer's transfer ID.
    public mutating func packetReceived(_ packet: TFTPPacket, now: Instant, into actions: inout [Action]) {
        switch (state, packet) {
        case (.finished, _):
            return
        case (_, .error(let code, let message)):
            if state == .dallying {
                finish(.completed, into: &actions)
            } else {
                finish(.abortedByPeer(code, message), into: &actions)
            }
        case (_, .data(let block, let payload)):
            dataReceived(block, payload, now: now, into: &actions)
        case (_, .readRequest), (_, .writeRequest), (_, .acknowledgement), (_, .optionAcknowledgement):
            fail(.illegalOperation, "Unexpected \(packet.opcode) during a write transfer", into: &actions)
        }
    }

    /// Writing failed (disk full, I/O error): tell the peer and stop.
    public mutating func fileWriteFailed(_ reason: String, into actions: inout [Action]) {
        guard state != .finished else { return }
        fail(.diskFull, "Write error: \(reason)", into: &actions)
    }

    public mutating func deadlineReached(now: Instant, into actions: inout [Action]) {
        guard let deadline = nextDeadline, now >= deadline, state != .finished else { return }
        if state == .dallying {
            finish(.completed, into: &actions)
            return
        }
        retries += 1
        guard retries <= configuration.maxRetries else {
            finish(.timedOut, into: &actions)
            return
        }
        timeout = min(timeout * 2, maxTimeout)
        statistics.retransmits += 1
        if state == .waitingForFirstBlock {
            sendFirstAnswer(now: now, into: &actions)
        } else {
            acknowledge(received, now: now, into: &actions)
        }
    }

    // MARK: internals

    private mutating func dataReceived(_ wire: UInt16, _ payload: [UInt8], now: Instant,
                                       into actions: inout [Action]) {
        let next = received + 1
        let numbering = configuration.numbering
        guard let block = numbering.expand(wire, notAfter: next + UInt64(options.windowSize)) else {
            statistics.duplicates += 1
            return
        }
        if block <= received {
            // A retransmission: our ACK was lost. Re-acknowledge once per window end, never per packet.
            statistics.duplicates += 1
            if block == received { acknowledge(received, now: now, into: &actions) }
            return
        }
        guard state != .dallying else { return }
        if block > next {
            // A gap (RFC 7440 §4): acknowledge the last in-order block once.
            if !gapReported {
                gapReported = true
                acknowledge(received, now: now, into: &actions)
            }
            return
        }
        guard payload.count <= options.blockSize else {
            fail(.illegalOperation, "DATA \(wire) carries \(payload.count) bytes, blksize is \(options.blockSize)",
                 into: &actions)
            return
        }
        let total = statistics.bytes + UInt64(payload.count)
        guard total <= configuration.maxUploadSize else {
            fail(.diskFull, "Upload exceeds the limit of \(configuration.maxUploadSize) bytes", into: &actions)
            return
        }
        state = .receiving
        received = block
        gapReported = false
        retries = 0
        timeout = baseTimeout
        statistics.bytes = total
        if !payload.isEmpty { actions.append(.append(payload)) }
        if payload.count < options.blockSize {
            actions.append(.commit)
            acknowledge(received, now: now, into: &actions)
            state = .dallying
            nextDeadline = now + baseTimeout
        } else if received - lastAcknowledged >= UInt64(options.windowSize) {
            acknowledge(received, now: now, into: &actions)
        } else {
            nextDeadline = now + timeout
        }
    }

    private mutating func sendFirstAnswer(now: Instant, into actions: inout [Action]) {
        if options.acknowledged.isEmpty {
            acknowledge(0, now: now, into: &actions)
        } else {
            actions.append(.sendOptionAcknowledgement(options.acknowledged))
            statistics.packetsSent += 1
            nextDeadline = now + timeout
        }
    }

    private mutating func acknowledge(_ block: UInt64, now: Instant, into actions: inout [Action]) {
        actions.append(.sendAcknowledgement(block: configuration.numbering.wire(block)))
        statistics.packetsSent += 1
        lastAcknowledged = max(lastAcknowledged, block)
        if state != .dallying { nextDeadline = now + timeout }
    }

    private mutating func fail(_ code: TFTPErrorCode, _ message: String, into actions: inout [Action]) {
        actions.append(.sendError(code, message))
        finish(.failed(code, message), into: &actions)
    }

    private mutating func finish(_ outcome: TFTPTransferOutcome, into actions: inout [Action]) {
        state = .finished
        nextDeadline = nil
        actions.append(.finish(outcome))
    }
}
