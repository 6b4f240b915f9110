/// The life of one HTTP/1.1 connection (RFC 9112 §9) as a pure state machine: waiting for a
/// request, reading its head, answering, closing — with the request and idle deadlines.
///
/// The shell (`HTTPConnectionHandler`) owns the bytes, the parser and the writes; it reports
/// what happened with past-tense events (``bytesReceived(now:)``, ``headReceived()``,
/// ``answerQueued(closes:awaited:)``, ``answerWritten(closes:failed:input:now:)``,
/// ``deadlineReached(now:)``, …) and executes the ``Action``s it gets back. Time is an input;
/// ``nextDeadline`` says when to call ``deadlineReached(now:)`` (calling it early is harmless).
///
/// Deadlines (nginx's `client_header_timeout` and `keepalive_timeout`):
/// - a fresh connection must deliver its first complete head within ``Timeouts/request`` of
///   being accepted; a silent one is closed without an answer;
/// - a head must be complete within ``Timeouts/request`` of its first byte, however slowly it
///   trickles (slowloris): past that it is answered 408 and the connection closed;
/// - a kept-alive connection may wait ``Timeouts/idle`` for the first byte of its next request;
/// - while answering there is no deadline: writes to a client that stops reading are bounded
///   by the kernel (`TCP_USER_TIMEOUT`).
///
/// Back-pressure (RFC 9112 §9.3.2 pipelining): nothing more is read while the channel is not
/// writable, a file lookup is running, the connection is closing, or more than
/// `maxBufferedBytes` wait unparsed; a read asked for meanwhile is held and given back with
/// ``Action/read`` once allowed.
public struct HTTPConnection: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// How long a client may take; see the type's documentation.
    public struct Timeouts: Sendable, Equatable {
        /// From accept to the first complete head, and from a head's first byte to its end.
        public var request: Duration
        /// From the end of an answer to the first byte of the next request (keep-alive).
        public var idle: Duration

        public init(request: Duration, idle: Duration) {
            self.request = request
            self.idle = idle
        }
    }

    /// What the shell must do.
    public enum Action: Equatable, Sendable {
        /// Ask the channel for more bytes (a read that was held back).
        case read
        /// Answer `408 Request Timeout` with `Connection: close`; close once it is written.
        case sendRequestTimeout
        /// Close the connection now.
        case close
    }

    /// What the shell still holds of the request stream, reported when an answer ends.
    public struct Input: Sendable, Equatable {
        /// Bytes received and not parsed yet.
        public var buffered: Int
        /// A request body is still being skipped.
        public var skippingBody: Bool

        public init(buffered: Int, skippingBody: Bool = false) {
            self.buffered = buffered
            self.skippingBody = skippingBody
        }

        /// Part of a request (head or body) has arrived and more of it is due.
        var midRequest: Bool { buffered > 0 || skippingBody }
    }

    private enum State: Equatable, Sendable {
        /// No byte of the next request yet; closed silently at `deadline`.
        case awaitingRequest(deadline: Instant)
        /// Part of a request has arrived; 408 at `deadline`.
        case readingHead(deadline: Instant)
        /// A head is being answered (a lookup running or answers being written); no deadline.
        case answering
        /// An answer that ends the connection is out: nothing more is read or answered.
        case closing
        /// Closed; every further event is ignored.
        case closed
    }

    public let timeouts: Timeouts
    /// Unparsed bytes beyond which nothing more is read.
    public let maxBufferedBytes: Int
    private var state: State
    /// Answers handed to the channel whose write has not completed.
    private var inFlight = 0
    private var lookupRunning = false
    private var writable = true
    private var readHeld = false

    /// A connection accepted at `now`.
    public init(timeouts: Timeouts, maxBufferedBytes: Int, now: Instant) {
        self.timeouts = timeouts
        self.maxBufferedBytes = maxBufferedBytes
        state = .awaitingRequest(deadline: now + timeouts.request)
    }

    /// When ``deadlineReached(now:)`` is due, or nil while nothing waits on time.
    public var nextDeadline: Instant? {
        switch state {
        case let .awaitingRequest(deadline), let .readingHead(deadline): deadline
        case .answering, .closing, .closed: nil
        }
    }

    /// Whether the next complete head may be answered now.
    public var mayAnswer: Bool {
        switch state {
        case .closing, .closed: false
        case .awaitingRequest, .readingHead, .answering: !lookupRunning && writable
        }
    }

    /// Whether nothing more is read or answered (an answer that closes is out, or closed).
    public var isClosing: Bool { state == .closing || state == .closed }

    // MARK: events

    /// The channel asks for more bytes while `buffered` wait unparsed: `.read`, or nil when the
    /// read is held until it is allowed again.
    public mutating func readRequested(buffered: Int) -> Action? {
        if mayRead(buffered: buffered) { return .read }
        readHeld = true
        return nil
    }

    /// Bytes of a request arrived: the request deadline starts with the first of them (on a
    /// fresh connection it has run since accept, and stays).
    public mutating func bytesReceived(now: Instant) {
        if case let .awaitingRequest(deadline) = state {
            state = .readingHead(deadline: min(deadline, now + timeouts.request))
        }
    }

    /// A complete head was parsed and is being answered.
    public mutating func headReceived() {
        switch state {
        case .awaitingRequest, .readingHead: state = .answering
        case .answering, .closing, .closed: break
        }
    }

    public mutating func lookupStarted() { lookupRunning = true }

    public mutating func lookupFinished() { lookupRunning = false }

    /// An answer was handed to the channel. `closes`: the connection ends after it (nothing more
    /// is read or answered from now). `awaited`: its write completion will be reported with
    /// ``answerWritten(closes:failed:input:now:)``.
    public mutating func answerQueued(closes: Bool, awaited: Bool) {
        if awaited { inFlight += 1 }
        if closes, state != .closed { state = .closing }
    }

    /// An awaited answer's write completed (or failed: the client went away).
    public mutating func answerWritten(closes: Bool, failed: Bool, input: Input, now: Instant) -> Action? {
        inFlight = max(0, inFlight - 1)
        guard state != .closed else { return nil }
        if closes || failed {
            state = .closed
            return .close
        }
        settle(input: input, now: now)
        return nil
    }

    public mutating func writabilityChanged(writable: Bool) {
        self.writable = writable
    }

    /// The shell has answered every head it could and flushed; `input` is what is left. An
    /// idle connection starts its deadline; a held read is given back when allowed.
    public mutating func drained(input: Input, now: Instant) -> Action? {
        settle(input: input, now: now)
        guard readHeld, mayRead(buffered: input.buffered) else { return nil }
        readHeld = false
        return .read
    }

    /// Time passed: a silent connection is closed, a head not complete in time gets 408.
    public mutating func deadlineReached(now: Instant) -> Action? {
        switch state {
        case let .awaitingRequest(deadline) where now >= deadline:
            state = .closed
            return .close
        case let .readingHead(deadline) where now >= deadline:
            state = .closing
            return .sendRequestTimeout
        default:
            return nil
        }
    }

    /// The channel closed.
    public mutating func closed() {
        state = .closed
    }

    // MARK: internals

    private func mayRead(buffered: Int) -> Bool {
        !isClosing && !lookupRunning && writable && buffered <= maxBufferedBytes
    }

    /// Answering → waiting once nothing is in flight: for the rest of a request already begun
    /// (request deadline), else for the next request (idle deadline).
    private mutating func settle(input: Input, now: Instant) {
        guard state == .answering, inFlight == 0, !lookupRunning, writable else { return }
        state = input.midRequest ? .readingHead(deadline: now + timeouts.request)
            : .awaitingRequest(deadline: now + timeouts.idle)
    }
}
