import Testing
@testable import BootServices

/// Timeline tests of the connection machine: every event carries its own `now`.
@Suite struct HTTPConnectionTests {
    typealias Input = HTTPConnection.Input
    let t0 = ContinuousClock.now
    let timeouts = HTTPConnection.Timeouts(request: .seconds(10), idle: .seconds(60))

    func fresh() -> HTTPConnection {
        HTTPConnection(timeouts: timeouts, maxBufferedBytes: 100, now: t0)
    }

    /// One keep-alive exchange answered and written at `at`; the connection is idle after it.
    func answered(_ connection: inout HTTPConnection, at now: ContinuousClock.Instant) {
        connection.bytesReceived(now: now)
        connection.headReceived()
        connection.answerQueued(closes: false, awaited: true)
        #expect(connection.drained(input: Input(buffered: 0), now: now) == nil)
        #expect(connection.answerWritten(closes: false, failed: false, input: Input(buffered: 0), now: now) == nil)
    }

    @Test func aSilentFreshConnectionIsClosedAfterTheRequestTimeoutWithoutAnAnswer() {
        var connection = fresh()
        #expect(connection.nextDeadline == t0 + .seconds(10))
        #expect(connection.deadlineReached(now: t0 + .seconds(9)) == nil)
        #expect(connection.deadlineReached(now: t0 + .seconds(10)) == .close)
        #expect(connection.isClosing && connection.nextDeadline == nil)
        #expect(connection.deadlineReached(now: t0 + .seconds(20)) == nil)
    }

    @Test func aDrippedHeadGets408AtTheRequestTimeoutFromItsFirstByte() {
        var connection = fresh()
        answered(&connection, at: t0 + .seconds(1))
        #expect(connection.nextDeadline == t0 + .seconds(61))  // kept alive: the idle timeout
        // The next head starts at 30 s and trickles a byte a second: the deadline does not move.
        for second in 30..<40 {
            connection.bytesReceived(now: t0 + .seconds(second))
            #expect(connection.drained(input: Input(buffered: second - 29), now: t0 + .seconds(second)) == nil)
            #expect(connection.nextDeadline == t0 + .seconds(40))
            #expect(connection.deadlineReached(now: t0 + .seconds(second)) == nil)
        }
        #expect(connection.deadlineReached(now: t0 + .seconds(40)) == .sendRequestTimeout)
        #expect(connection.isClosing && !connection.mayAnswer)
        // The 408 is written; then the connection closes.
        connection.answerQueued(closes: true, awaited: true)
        #expect(connection.answerWritten(closes: true, failed: false, input: Input(buffered: 0),
                                         now: t0 + .seconds(40)) == .close)
    }

    @Test func aKeptAliveConnectionWaitsTheIdleTimeoutAfterEachAnswer() {
        var connection = fresh()
        answered(&connection, at: t0 + .seconds(5))
        answered(&connection, at: t0 + .seconds(50))
        #expect(connection.nextDeadline == t0 + .seconds(110))
        #expect(connection.deadlineReached(now: t0 + .seconds(109)) == nil)
        #expect(connection.deadlineReached(now: t0 + .seconds(110)) == .close)
    }

    @Test func noDeadlineWhileAnswering() {
        var connection = fresh()
        connection.bytesReceived(now: t0)
        connection.headReceived()
        connection.lookupStarted()
        #expect(connection.nextDeadline == nil && !connection.mayAnswer)
        #expect(connection.deadlineReached(now: t0 + .seconds(3600)) == nil)
        connection.lookupFinished()
        connection.answerQueued(closes: false, awaited: true)
        // Drained while the write is in flight: still answering.
        #expect(connection.drained(input: Input(buffered: 0), now: t0 + .seconds(1)) == nil)
        #expect(connection.nextDeadline == nil)
        _ = connection.answerWritten(closes: false, failed: false, input: Input(buffered: 0), now: t0 + .seconds(2))
        #expect(connection.nextDeadline == t0 + .seconds(62))
    }

    @Test func pipelinedBytesLeftAfterAnAnswerRunTheRequestTimeout() {
        var connection = fresh()
        connection.bytesReceived(now: t0)
        connection.headReceived()
        connection.answerQueued(closes: false, awaited: false)
        #expect(connection.drained(input: Input(buffered: 7), now: t0 + .seconds(1)) == nil)
        #expect(connection.nextDeadline == t0 + .seconds(11))
        // A body still being skipped counts as a request under way too.
        var skipping = fresh()
        skipping.bytesReceived(now: t0)
        skipping.headReceived()
        #expect(skipping.drained(input: Input(buffered: 0, skippingBody: true), now: t0 + .seconds(2)) == nil)
        #expect(skipping.nextDeadline == t0 + .seconds(12))
    }

    @Test func aClosingAnswerStopsReadingAndAnswering() {
        var connection = fresh()
        connection.bytesReceived(now: t0)
        connection.headReceived()
        connection.answerQueued(closes: true, awaited: true)
        #expect(connection.isClosing && !connection.mayAnswer)
        #expect(connection.readRequested(buffered: 0) == nil)
        #expect(connection.drained(input: Input(buffered: 0), now: t0) == nil)
        #expect(connection.answerWritten(closes: true, failed: false, input: Input(buffered: 0), now: t0) == .close)
    }

    @Test func aFailedWriteCloses() {
        var connection = fresh()
        connection.bytesReceived(now: t0)
        connection.headReceived()
        connection.answerQueued(closes: false, awaited: true)
        #expect(connection.answerWritten(closes: false, failed: true, input: Input(buffered: 0), now: t0) == .close)
        #expect(connection.isClosing)
    }

    @Test func readsAreHeldWhileTheClientIsNotReadingAndGivenBackAfter() {
        var connection = fresh()
        #expect(connection.readRequested(buffered: 0) == .read)
        connection.writabilityChanged(writable: false)
        #expect(!connection.mayAnswer)
        #expect(connection.readRequested(buffered: 0) == nil)
        #expect(connection.drained(input: Input(buffered: 0), now: t0) == nil)  // still not writable
        connection.writabilityChanged(writable: true)
        #expect(connection.drained(input: Input(buffered: 0), now: t0) == .read)
        #expect(connection.drained(input: Input(buffered: 0), now: t0) == nil)  // given back once
    }

    @Test func readsAreHeldWhileALookupRunsOrTooMuchIsBuffered() {
        var connection = fresh()
        #expect(connection.readRequested(buffered: 101) == nil)
        #expect(connection.drained(input: Input(buffered: 101), now: t0) == nil)
        #expect(connection.drained(input: Input(buffered: 100), now: t0) == .read)
        connection.lookupStarted()
        #expect(connection.readRequested(buffered: 0) == nil)
        connection.lookupFinished()
        #expect(connection.drained(input: Input(buffered: 0), now: t0) == .read)
    }

    @Test func aDeadlineCalledEarlyDoesNothing() {
        var connection = fresh()
        connection.bytesReceived(now: t0 + .seconds(3))
        #expect(connection.nextDeadline == t0 + .seconds(10))  // the request deadline from accept stays
        #expect(connection.deadlineReached(now: t0 + .milliseconds(9999)) == nil)
        #expect(connection.deadlineReached(now: t0 + .seconds(10)) == .sendRequestTimeout)
    }
}
