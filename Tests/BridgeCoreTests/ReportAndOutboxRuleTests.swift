import Foundation
import Testing
@testable import BridgeCore

@Suite struct ReportAndOutboxRuleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func reportDeduplication() {
        let a = ReportDigest(canonical: Data("a".utf8))
        let b = ReportDigest(canonical: Data("b".utf8))
        #expect(ReportAdmission.decide(stored: nil, incoming: a) == .store)
        #expect(ReportAdmission.decide(stored: a, incoming: a) == .duplicate)
        #expect(ReportAdmission.decide(stored: a, incoming: b) == .conflict)
    }

    @Test func theSameReportWithKeysInAnotherOrderHasTheSameDigest() throws {
        let one = try ClientReport.decode(Data(#"{"sequence":3,"kind":"inventory","data":{"ram":16,"cpu":"i7"}}"#.utf8))
        let two = try ClientReport.decode(Data(#"{"data":{"cpu":"i7","ram":16},"kind":"inventory","sequence":3}"#.utf8))
        #expect(one.digest == two.digest)
        #expect(String(decoding: one.canonicalJSON, as: UTF8.self) == #"{"data":{"cpu":"i7","ram":16},"kind":"inventory"}"#)
    }

    @Test func backoffDoublesUpToTheCap() {
        let schedule = OutboxSchedule(base: 1, cap: 300)
        #expect((1...10).map { schedule.delay(afterFailedAttempts: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300])
        #expect(schedule.delay(afterFailedAttempts: 1000) == 300)
        #expect(schedule.delay(afterFailedAttempts: 0) == 0)
        #expect(schedule.nextAttempt(afterFailedAttempts: 3, now: now) == now + 4)
    }

    @Test func upstreamAnswersMapToOutcomes() {
        #expect(OutboxSchedule.outcome(status: 200) == .delivered)
        #expect(OutboxSchedule.outcome(status: 202) == .delivered)
        #expect(OutboxSchedule.outcome(status: 409) == .delivered)
        #expect(OutboxSchedule.outcome(status: 500) == .retry)
        #expect(OutboxSchedule.outcome(status: 503) == .retry)
        #expect(OutboxSchedule.outcome(status: 429) == .retry)
        #expect(OutboxSchedule.outcome(status: nil) == .retry)
        #expect(OutboxSchedule.outcome(status: 400) == .rejected)
        #expect(OutboxSchedule.outcome(status: 404) == .rejected)
    }

    @Test func rateLimitAllowsABurstThenRefills() {
        var limit = RateLimit(perSecond: 2, burst: 3)
        #expect((0..<3).map { _ in limit.admit("a", now: now) } == [.allow, .allow, .allow])
        #expect(limit.admit("a", now: now) == .deny(retryAfter: 1))
        #expect(limit.admit("b", now: now) == .allow)
        #expect(limit.admit("a", now: now + 0.5) == .allow)
        #expect(limit.admit("a", now: now + 0.5) == .deny(retryAfter: 1))
        #expect(limit.admit("a", now: now + 100) == .allow)
    }

    @Test func rateLimitForgetsIdleCallersWhenFull() {
        var limit = RateLimit(perSecond: 1, burst: 1, maxCallers: 10)
        for index in 0..<10 { _ = limit.admit("c\(index)", now: now) }
        #expect(limit.callerCount == 10)
        _ = limit.admit("new", now: now + 60)
        #expect(limit.callerCount == 1)
    }
}
