import NetbootWire

/// The sending side of one RRQ (RFC 1350, 2347, 2348, 2349, 7440) as a pure state machine.
///
/// Events in — ``start(now:into:)``, ``packetReceived(_:now:into:)``,
/// ``fileDataLoaded(_:now:into:)``, ``fileReadFailed(_:into:)``, ``deadlineReached(now:into:)``
/// — and ``Action``s out, appended to a caller-owned array so that the hot path allocates
/// nothing. Time is an input; ``nextDeadline`` says when to call ``deadlineReached(now:into:)``
/// (calling it early is harmless). The machine never holds file bytes: it asks the shell to
/// ``Action/load(_:)`` a byte range and sends DATA by offset.
///
/// The stream is `size` bytes cut into blocks of `blksize`; the last block is short, possibly
/// empty. Block counters are 64-bit; ``TFTPBlockNumbering`` maps them to the wire.
public struct TFTPReadTransfer: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What the shell must do.
    public enum Action: Hashable, Sendable {
        /// Send an OACK carrying these options (RFC 2347), then expect ACK 0.
        case sendOptionAcknowledgement([TFTPOption])
        /// Send DATA `block` (wire number) with the stream bytes `offset ..< offset + count`.
        case sendData(block: UInt16, offset: UInt64, count: Int)
        /// Send an ERROR to the peer.
        case sendError(TFTPErrorCode, String)
        /// Make at least these stream bytes readable and report with ``fileDataLoaded(_:now:into:)``;
        /// bytes before the range's start will not be asked for again and may be dropped.
        case load(Range<UInt64>)
        /// The transfer is over; release its socket and file.
        case finish(TFTPTransferOutcome)
    }

    private enum State: Hashable, Sendable {
        /// OACK sent; waiting for the ACK of block 0.
        case negotiating
        /// DATA flowing: blocks `acked+1 … sent` are in flight.
        case sending
        /// Finished; every further event is ignored.
        case finished
    }

    public let size: UInt64
    public let options: TFTPNegotiatedOptions
    public private(set) var statistics = TFTPTransferStatistics()
    /// When ``deadlineReached(now:into:)`` is due, or nil when nothing waits on time.
    public private(set) var nextDeadline: Instant?

    private var state: State
    private let configuration: TFTPTransferConfiguration
    private let baseTimeout: Duration
    private let maxTimeout: Duration
    private let lastBlock: UInt64
    private var acked: UInt64 = 0
    private var sent: UInt64 = 0
    private var highestSent: UInt64 = 0
    private var available: Range<UInt64> = 0..<0
    private var loadPending = false
    private var retries = 0
    private var timeout: Duration

    /// - Parameters:
    ///   - size: the length of the byte stream (the file, or its netascii form).
    ///   - options: the outcome of ``TFTPNegotiation``; a non-empty `acknowledged` list means
    ///     the transfer starts with an OACK.
    public init(size: UInt64, options: TFTPNegotiatedOptions, configuration: TFTPTransferConfiguration) {
        self.size = size
        self.options = options
        self.configuration = configuration
        let blockSize = UInt64(max(1, options.blockSize))
        self.lastBlock = size / blockSize + 1
        if let seconds = options.timeoutSeconds {
            baseTimeout = .seconds(seconds)
            maxTimeout = max(configuration.maxRetransmitTimeout, baseTimeout)
        } else {
            baseTimeout = configuration.retransmitTimeout
            maxTimeout = configuration.maxRetransmitTimeout
        }
        timeout = baseTimeout
        state = options.acknowledged.isEmpty ? .sending : .negotiating
    }

    public var isFinished: Bool { state == .finished }

    /// Sends the OACK, or the first window of DATA.
    public mutating func start(now: Instant, into actions: inout [Action]) {
        switch state {
        case .negotiating:
            sendOptionAcknowledgement(now: now, into: &actions)
        case .sending:
            sendWindow(now: now, into: &actions)
        case .finished:
            break
        }
    }

    /// A packet from the peer's transfer ID (the shell checks the source first).
    public mutating func packetReceived(_ packet: TFTPPacket, now: Instant, into actions: inout [Action]) {
        switch (state, packet) {
        case (.finished, _):
            return
        case (_, .error(let code, let message)):
            finish(.abortedByPeer(code, message), into: &actions)
        case (.negotiating, .acknowledgement(let block)):
            guard block == 0 else {
                statistics.duplicates += 1
                return
            }
            state = .sending
            progressed()
            sendWindow(now: now, into: &actions)
        case (.sending, .acknowledgement(let block)):
            acknowledgementReceived(block, now: now, into: &actions)
        case (_, .readRequest), (_, .writeRequest), (_, .data), (_, .optionAcknowledgement):
            fail(.illegalOperation, "Unexpected \(packet.opcode) during a read transfer", into: &actions)
        }
    }

    /// The shell holds the stream bytes in `range` now.
    public mutating func fileDataLoaded(_ range: Range<UInt64>, now: Instant, into actions: inout [Action]) {
        guard state != .finished else { return }
        loadPending = false
        available = range
        if state == .sending { sendWindow(now: now, into: &actions) }
    }

    /// Reading the file failed (I/O error): tell the peer and stop.
    public mutating func fileReadFailed(_ reason: String, into actions: inout [Action]) {
        guard state != .finished else { return }
        fail(.notDefined, "Read error: \(reason)", into: &actions)
    }

    /// Time passed; retransmits with backoff, or gives up after the retry limit.
    public mutating func deadlineReached(now: Instant, into actions: inout [Action]) {
        guard let deadline = nextDeadline, now >= deadline, state != .finished else { return }
        retries += 1
        guard retries <= configuration.maxRetries else {
            nextDeadline = nil
            finish(.timedOut, into: &actions)
            return
        }
        timeout = min(timeout * 2, maxTimeout)
        switch state {
        case .negotiating:
            statistics.retransmits += 1
            sendOptionAcknowledgement(now: now, into: &actions)
        case .sending:
            // RFC 7440 §4: on timeout the sender resends the window from the oldest unacknowledged block.
            sent = acked
            sendWindow(now: now, into: &actions)
            if nextDeadline.map({ $0 <= now }) ?? true { nextDeadline = now + timeout }
        case .finished:
            break
        }
    }

    // MARK: internals

    private mutating func acknowledgementReceived(_ wire: UInt16, now: Instant, into actions: inout [Action]) {
        guard let block = configuration.numbering.expand(wire, notAfter: highestSent), block > acked else {
            // Sorcerer's Apprentice (RFC 1123 §4.2.3.1): a duplicate or stale ACK never triggers a send.
            statistics.duplicates += 1
            return
        }
        acked = block
        statistics.bytes = min(size, block * UInt64(options.blockSize))
        progressed()
        if acked >= lastBlock {
            finish(.completed, into: &actions)
            return
        }
        // RFC 7440 §4: an ACK inside the window means the blocks after it were lost; the next
        // window starts right after the acknowledged block.
        sent = block
        sendWindow(now: now, into: &actions)
    }

    private mutating func progressed() {
        retries = 0
        timeout = baseTimeout
    }

    private func range(of block: UInt64) -> Range<UInt64> {
        let blockSize = UInt64(options.blockSize)
        let start = min(size, (block - 1) * blockSize)
        return start..<min(size, start + blockSize)
    }

    private func isAvailable(_ bytes: Range<UInt64>) -> Bool {
        bytes.isEmpty || (available.lowerBound <= bytes.lowerBound && bytes.upperBound <= available.upperBound)
    }

    private mutating func sendWindow(now: Instant, into actions: inout [Action]) {
        let windowEnd = min(acked + UInt64(options.windowSize), lastBlock)
        var sentAny = false
        while sent < windowEnd {
            let block = sent + 1
            let bytes = range(of: block)
            guard isAvailable(bytes) else {
                requestLoad(through: range(of: windowEnd).upperBound, into: &actions)
                break
            }
            actions.append(.sendData(block: configuration.numbering.wire(block), offset: bytes.lowerBound,
                                     count: bytes.count))
            statistics.packetsSent += 1
            if block <= highestSent { statistics.retransmits += 1 }
            highestSent = max(highestSent, block)
            sent = block
            sentAny = true
        }
        if sentAny { nextDeadline = now + timeout }
        // Read ahead: once less than half a read-ahead is loaded beyond what was sent, ask for
        // more while the loaded part is still being sent, so a slow read never stalls the peer.
        if !loadPending, available.upperBound < size, sent >= acked,
           available.upperBound - min(available.upperBound, range(of: max(sent, 1)).upperBound)
               < UInt64(configuration.readAheadBytes / 2) {
            requestLoad(through: available.upperBound, into: &actions)
        }
    }

    private mutating func requestLoad(through end: UInt64, into actions: inout [Action]) {
        guard !loadPending else { return }
        loadPending = true
        let start = range(of: acked + 1).lowerBound
        let windowBytes = UInt64(options.windowSize) * UInt64(options.blockSize)
        let length = max(UInt64(configuration.readAheadBytes), 2 * windowBytes, end - start)
        actions.append(.load(start..<min(size, start + length)))
    }

    private mutating func sendOptionAcknowledgement(now: Instant, into actions: inout [Action]) {
        actions.append(.sendOptionAcknowledgement(options.acknowledged))
        statistics.packetsSent += 1
        nextDeadline = now + timeout
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
