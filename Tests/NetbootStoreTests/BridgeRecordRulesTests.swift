import BridgeCore
import Foundation
import Testing
@testable import NetbootStore

/// The pure decisions both bridge-record backends take (``BridgeRecordRules``), without a database.
@Suite struct BridgeRecordRulesTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let digest = ReportDigest(canonical: Data("a".utf8))
    let other = ReportDigest(canonical: Data("b".utf8))

    @Test func aStepEventIsDecidedByItsNumberFirstThenByTheRun() {
        // Seen before: acknowledged (or refused) whatever the run's state, even with no run.
        #expect(BridgeRecordRules.runEvent(stored: digest, incoming: digest, runState: nil) == .stored(.duplicate))
        #expect(BridgeRecordRules.runEvent(stored: digest, incoming: other, runState: "running") == .stored(.conflict))
        #expect(BridgeRecordRules.runEvent(stored: nil, incoming: digest, runState: nil) == .unknownRun)
        #expect(BridgeRecordRules.runEvent(stored: nil, incoming: digest, runState: "succeeded") == .finished)
        #expect(BridgeRecordRules.runEvent(stored: nil, incoming: digest, runState: "running") == .stored(.store))
    }

    @Test func aRunFinishesOnceAndRepeatsItsAnswer() {
        let running = RunRecord(id: "r1", mac: "02:00:00:00:00:01", sequence: "Deploy", steps: [], startedAtMilliseconds: 1)
        let first = BridgeRecordRules.finish(running, outcome: .failed, atMilliseconds: 9)
        guard case .finished(let done) = first.admission else { return #expect(Bool(false)) }
        #expect(first.write && done.state == "failed" && done.finishedAtMilliseconds == 9)
        #expect(BridgeRecordRules.finish(done, outcome: .failed, atMilliseconds: 20) == (.finished(done), false))
        #expect(BridgeRecordRules.finish(done, outcome: .succeeded, atMilliseconds: 20) == (.conflict(done), false))
        #expect(BridgeRecordRules.finish(nil, outcome: .succeeded, atMilliseconds: 20) == (.unknownRun, false))
    }

    @Test func anEnrollmentTokenBoundToAMACEnrollsOnlyThatMAC() {
        let bound = TokenRecord(digest: TokenDigest(hex: String(repeating: "a", count: 64)), role: .enrollment, label: "boot",
                                createdAt: t0, expiresAt: t0 + 60, deviceMAC: "02:00:00:00:00:01")
        #expect(BridgeRecordRules.enrollmentAdmits(bound, mac: "02:00:00:00:00:01", now: t0) == bound)
        #expect(BridgeRecordRules.enrollmentAdmits(bound, mac: "02:00:00:00:00:02", now: t0) == nil)
        #expect(BridgeRecordRules.enrollmentAdmits(bound, mac: "02:00:00:00:00:01", now: t0 + 60) == nil)
        var spent = bound
        spent.usedAt = t0
        #expect(BridgeRecordRules.enrollmentAdmits(spent, mac: "02:00:00:00:00:01", now: t0) == nil)
        #expect(BridgeRecordRules.enrollmentAdmits(nil, mac: "02:00:00:00:00:01", now: t0) == nil)
    }

    @Test func revocationIDsAreTwelveHexDigits() {
        #expect(BridgeRecordRules.revocationID("3B2038527C8A") == "3b2038527c8a")
        #expect(BridgeRecordRules.revocationID("3b2038527c8") == nil)
        #expect(BridgeRecordRules.revocationID("3b2038527c8g") == nil)
        #expect(BridgeRecordRules.reportKey(mac: "02:00:00:00:00:01", sequence: 7) == "02:00:00:00:00:01/report/7")
    }
}
