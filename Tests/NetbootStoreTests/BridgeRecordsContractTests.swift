import BridgeCore
import Foundation
import NetbootWire
import Testing
@testable import NetbootStore

/// The bridge's records contract (docs/store.md "The bridge's records"): the same tests against
/// `bridge.sqlite` and a real PostgreSQL (no mocks). Two `open()`s of one fixture are two
/// appliances on the same records.
@Suite(.serialized) struct BridgeRecordsContractTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func enrollment(_ last: UInt8) -> EnrollmentRequest {
        EnrollmentRequest(mac: MACAddress(rawValue: 0x0200_0000_0000 + UInt64(last)), serial: "S\(last)", model: "Macmini8,1",
                          hostname: "lab-\(last)", osVersion: "14.4")
    }

    func report(_ sequence: Int64, _ step: String = "Partition") -> ClientReport {
        ClientReport(sequence: sequence, kind: .status,
                     data: .object(["run": .string("r1"), "step": .string(step), "phase": .string("start")]))
    }

    @Test(arguments: StoreKind.allCases)
    func tokensAreKeptAsDigestsAndRevokedByPublicID(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            let (admin, adminRecord) = try store.issueToken(role: .administrator, label: "ops", ttl: 3600, now: t0)
            #expect(try store.token(digest: admin.digest) == adminRecord)
            #expect(adminRecord.expiresAt == t0 + 3600)
            let (token, record) = try store.issueToken(role: .enrollers, label: "", ttl: nil, now: t0 + 1)
            #expect(try store.revokeToken(id: "000000000000", now: t0) == nil)
            #expect(try store.revokeToken(id: "not-an-id", now: t0) == nil)
            let revoked = try #require(try store.revokeToken(id: record.id.uppercased(), now: t0 + 5))
            #expect(revoked.revokedAt == t0 + 5)
            #expect(try store.revokeToken(id: record.id, now: t0 + 9)?.revokedAt == t0 + 5)
            #expect(TokenCheck.evaluate(try store.token(digest: token.digest), requires: .tokensIssue, now: t0 + 6) == .unauthenticated)
            #expect(try store.tokens().map(\.id) == [record.id, adminRecord.id])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func enrollmentTokenWorksOnceAndYieldsAClientToken(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            let (enrollToken, _) = try store.issueToken(role: .enrollment, label: "", ttl: 600, now: t0)
            guard case let .enrolled(device, clientToken) = try store.enroll(enrollment(1), with: enrollToken.digest, now: t0 + 1, relay: false) else {
                Issue.record("refused")
                return
            }
            #expect(device.mac == "02:00:00:00:00:01" && device.hostname == "lab-1" && device.enrolledAt == t0 + 1)
            let client = try #require(try store.token(digest: clientToken.digest))
            #expect(client.role == .client && client.deviceMAC == "02:00:00:00:00:01")
            // A replay of the spent token — through another appliance too — is refused and makes nothing.
            for other in [store, try fixture.open()] {
                guard case .refused = try other.enroll(enrollment(2), with: enrollToken.digest, now: t0 + 2, relay: false) else {
                    Issue.record("replay accepted")
                    return
                }
            }
            #expect(try store.devices().map(\.mac) == ["02:00:00:00:00:01"])
            #expect(try store.audit().map(\.action) == ["device.enroll"])
        }
    }

    /// Two appliances present the same one-time token at the same moment, many times over:
    /// each token enrolls exactly once.
    @Test(arguments: StoreKind.allCases)
    func aOneTimeTokenEnrollsOnceUnderConcurrentClaims(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let appliances = [try fixture.open(), try fixture.open()]
            let tokens = try (0..<12).map { _ in try appliances[0].issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token }
            let results = Results()
            for (index, token) in tokens.enumerated() {
                DispatchQueue.concurrentPerform(iterations: 2) { side in
                    let outcome = try? appliances[side].enroll(enrollment(UInt8(1 + index)), with: token.digest, now: t0 + 1, relay: true)
                    if case .enrolled = outcome { results.add(index) } else if outcome == nil { results.fail() }
                }
            }
            #expect(results.failures == 0)
            #expect(results.counts == Dictionary(uniqueKeysWithValues: (0..<tokens.count).map { ($0, 1) }))
            #expect(try appliances[1].deviceCount() == tokens.count)
            // One enrollment event each in the outbox, one audit line each.
            #expect(try appliances[1].outboxCounts().pending == tokens.count)
            #expect(try appliances[0].audit(limit: 100).count == tokens.count)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func enrollmentRefusesExpiredAndWrongRoleTokens(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            let (expired, _) = try store.issueToken(role: .enrollment, label: "", ttl: 60, now: t0)
            let (admin, _) = try store.issueToken(role: .administrator, label: "", ttl: nil, now: t0)
            for digest in [expired.digest, admin.digest, BridgeToken.generate().digest] {
                guard case .refused = try store.enroll(enrollment(1), with: digest, now: t0 + 61, relay: false) else {
                    Issue.record("enrolled with a bad token")
                    return
                }
            }
            #expect(try store.deviceCount() == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func reEnrollmentUpdatesTheRecordAndRevokesTheOldClientToken(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let (a, b) = (try fixture.open(), try fixture.open())
            let first = try a.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
            let second = try a.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
            guard case let .enrolled(_, oldClient) = try a.enroll(enrollment(1), with: first.digest, now: t0, relay: false) else { return }
            var again = enrollment(1)
            again.hostname = "renamed"
            guard case let .enrolled(device, newClient) = try b.enroll(again, with: second.digest, now: t0 + 10, relay: false) else {
                Issue.record("refused")
                return
            }
            #expect(device.hostname == "renamed" && device.enrolledAt == t0 && device.updatedAt == t0 + 10)
            #expect(try a.token(digest: oldClient.digest)?.revokedAt == t0 + 10)
            #expect(try a.token(digest: newClient.digest)?.state(at: t0 + 10) == .active)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aReportIsStoredOncePerSequence(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            let token = try store.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
            _ = try store.enroll(enrollment(1), with: token.digest, now: t0, relay: true)
            let mac = "02:00:00:00:00:01"
            let batch = [ReportSubmission(mac: mac, report: report(1)), ReportSubmission(mac: mac, report: report(2)),
                         ReportSubmission(mac: mac, report: report(1)), ReportSubmission(mac: mac, report: report(2, "Other"))]
            #expect(try store.submit(batch, now: t0 + 1, relay: true) == [.store, .store, .duplicate, .conflict])
            // Sent again through another appliance: a duplicate there too.
            #expect(try fixture.open().submit([ReportSubmission(mac: mac, report: report(1))], now: t0 + 2, relay: true) == [.duplicate])
            #expect(try store.reports(mac: mac).map(\.sequence) == [1, 2])
            #expect(try store.reports(mac: mac, after: 1).map(\.sequence) == [2])
            let device = try #require(try store.device(mac: mac))
            #expect(device.lastSequence == 2 && device.reportCount == 2 && device.lastSeen == t0 + 1)
            // One outbox event each: the enrollment and two reports, nothing for the repeats.
            #expect(try store.outboxCounts().pending == 3)
        }
    }

    /// The same report posted to two appliances at once is stored once: one `.store`, the
    /// other `.duplicate`, and one outbox event.
    @Test(arguments: StoreKind.allCases)
    func concurrentDuplicateReportsAreStoredOnce(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let appliances = [try fixture.open(), try fixture.open()]
            let token = try appliances[0].issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
            _ = try appliances[0].enroll(enrollment(1), with: token.digest, now: t0, relay: false)
            let mac = "02:00:00:00:00:01"
            let results = Results()
            for sequence in Int64(1)...10 {
                DispatchQueue.concurrentPerform(iterations: 2) { side in
                    let admission = try? appliances[side].submit([ReportSubmission(mac: mac, report: report(sequence))], now: t0, relay: true)
                    switch admission?.first {
                    case .store: results.add(Int(sequence))
                    case .duplicate: break
                    case .conflict, nil: results.fail()
                    }
                }
            }
            #expect(results.failures == 0)
            #expect(results.counts == Dictionary(uniqueKeysWithValues: (1...10).map { ($0, 1) }))
            #expect(try appliances[1].reports(mac: mac).map(\.sequence) == Array(1...10))
            #expect(try appliances[1].device(mac: mac)?.reportCount == 10)
            #expect(try appliances[1].outboxCounts().pending == 10)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func outboxHandsOutEachClientsEventsInOrderWithBackoff(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            for last: UInt8 in 1...2 {
                let token = try store.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
                _ = try store.enroll(enrollment(last), with: token.digest, now: t0, relay: true)
                _ = try store.submit([ReportSubmission(mac: "02:00:00:00:00:0\(last)", report: report(1))], now: t0, relay: true)
                _ = try store.submit([ReportSubmission(mac: "02:00:00:00:00:0\(last)", report: report(2))], now: t0, relay: true)
            }
            let schedule = OutboxSchedule(base: 1, cap: 60)
            var due = try store.dueOutboxEvents(now: t0, limit: 64, claim: 30)
            #expect(due.map(\.idempotencyKey).allSatisfy { $0.contains("/enroll/") })
            #expect(Set(due.map(\.mac)) == ["02:00:00:00:00:01", "02:00:00:00:00:02"])
            // Client 1's head fails: its reports wait behind it; client 2 moves on, in order.
            let one = try #require(due.first { $0.mac.hasSuffix("01") })
            let two = try #require(due.first { $0.mac.hasSuffix("02") })
            try store.recordOutboxAttempt(id: one.id, outcome: .retry, error: "503", schedule: schedule, now: t0)
            try store.recordOutboxAttempt(id: two.id, outcome: .delivered, error: nil, schedule: schedule, now: t0)
            due = try store.dueOutboxEvents(now: t0 + 0.5, limit: 64, claim: 30)
            #expect(due.map(\.idempotencyKey) == ["02:00:00:00:00:02/report/1"])
            try store.recordOutboxAttempt(id: due[0].id, outcome: .delivered, error: nil, schedule: schedule, now: t0 + 0.5)
            due = try store.dueOutboxEvents(now: t0 + 1, limit: 64, claim: 30)
            #expect(due.map(\.idempotencyKey).sorted() == [one.idempotencyKey, "02:00:00:00:00:02/report/2"].sorted())
            #expect(due.first { $0.id == one.id }?.attempts == 1)
            try store.recordOutboxAttempt(id: one.id, outcome: .retry, error: "timeout", schedule: schedule, now: t0 + 1)
            #expect(try store.dueOutboxEvents(now: t0 + 2.9, limit: 64, claim: 30).allSatisfy { $0.id != one.id })
            let head = try #require(try store.dueOutboxEvents(now: t0 + 3, limit: 64, claim: 30).first { $0.id == one.id })
            try store.recordOutboxAttempt(id: head.id, outcome: .rejected, error: "400", schedule: schedule, now: t0 + 3)
            // Rejected: kept and skipped; client 1's reports follow in order.
            #expect(try store.dueOutboxEvents(now: t0 + 4, limit: 64, claim: 30).map(\.idempotencyKey).contains("02:00:00:00:00:01/report/1"))
            let counts = try store.outboxCounts()
            #expect(counts.pending == 3 && counts.delivered == 2 && counts.rejected == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func auditNewestFirst(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            for index in 0..<3 {
                try store.appendAudit(AuditEntry(at: t0 + Double(index), actor: "cli", role: "administrator",
                                                 action: "token.issue", target: "t\(index)", outcome: "allowed"))
            }
            let lines = try store.audit(limit: 2)
            #expect(lines.map(\.target) == ["t2", "t1"])
            #expect(try store.audit(before: lines[1].id).map(\.target) == ["t0"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBootTokenReplacesTheMACsUnusedOneAndEnrollsOnlyThatMAC(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            let mac = "02:00:00:00:00:01"
            let first = try store.issueBootToken(mac: mac, ttl: 600, now: t0)
            let second = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 1)
            let other = try store.issueBootToken(mac: "02:00:00:00:00:02", ttl: 600, now: t0 + 1)
            #expect(try store.token(digest: first.digest) == nil)
            let record = try #require(try store.token(digest: second.digest))
            #expect(record.role == .enrollment && record.deviceMAC == mac && record.label == "boot \(mac)")
            #expect(record.expiresAt == t0 + 601)
            #expect(try store.tokens().count == 2)
            guard case .refused = try store.enroll(enrollment(2), with: second.digest, now: t0 + 2, relay: false) else {
                Issue.record("a boot token enrolled another MAC")
                return
            }
            #expect(try store.token(digest: second.digest)?.usedAt == nil)
            guard case .enrolled = try store.enroll(enrollment(1), with: second.digest, now: t0 + 3, relay: false) else {
                Issue.record("the boot token did not enroll its MAC")
                return
            }
            guard case .refused = try store.enroll(enrollment(1), with: second.digest, now: t0 + 4, relay: false) else {
                Issue.record("a boot token enrolled twice")
                return
            }
            _ = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 5)
            #expect(try store.token(digest: second.digest)?.usedAt == t0 + 3)
            _ = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 700)
            #expect(try store.token(digest: other.digest) == nil)
            let manual = try store.issueToken(role: .enrollment, label: "", ttl: 60, now: t0).token
            _ = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 800)
            #expect(try store.token(digest: manual.digest) != nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func escrowsAreKeptPerDeviceNewestFirst(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            let first = try store.escrow(mac: "02:00:00:00:00:01", kind: "filevault-recovery-key", sealed: Data([1, 2, 3]), now: t0)
            _ = try store.escrow(mac: "02:00:00:00:00:02", kind: "filevault-recovery-key", sealed: Data([4]), now: t0)
            let second = try store.escrow(mac: "02:00:00:00:00:01", kind: "filevault-recovery-key", sealed: Data([5, 6]), now: t0 + 60)
            #expect(try store.escrowed(mac: "02:00:00:00:00:01") == [second, first])
            #expect(try store.escrowed(mac: "02:00:00:00:00:03").isEmpty)
            #expect(try fixture.open().escrowed(mac: "02:00:00:00:00:01").map(\.sealed) == [Data([5, 6]), Data([1, 2, 3])])
        }
    }
}

/// Runs in the bridge's records (issue 16 §6), against both backends: events stored once per
/// (client, sequence), refused for another device's or a finished run, finish idempotent,
/// deployments kept; a run started through one appliance is reportable through another.
@Suite(.serialized) struct BridgeRunRecordsContractTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let mac = "02:00:00:00:00:01"

    func run(_ id: String = "r1") -> RunRecord {
        RunRecord(id: id, mac: mac, sequence: "Deploy", steps: [.init(pointer: 0, name: "Apply", type: "apply-image")],
                  startedAtMilliseconds: 1)
    }

    func event(_ sequence: Int64, _ kind: RunEvent.Kind = .start, text: String? = nil) -> RunEvent {
        var event = RunEvent(sequence: sequence, kind: kind, step: 0, name: "Apply", atMilliseconds: 10 * sequence)
        if kind == .finish { event.result = .success }
        if kind == .log { event.text = text }
        return event
    }

    @Test(arguments: StoreKind.allCases)
    func eventsAreStoredOnceAndAConflictingNumberIsRefused(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let (a, b) = (try fixture.open(), try fixture.open())
            #expect(try a.hasRunTables())
            try a.insertRun(run())
            #expect(try b.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.store))
            #expect(try a.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.duplicate))
            #expect(try a.submitRunEvent(event(1, .log, text: "x"), runID: "r1", mac: mac, now: t0) == .stored(.conflict))
            #expect(try a.submitRunEvent(event(2), runID: "r1", mac: "02:00:00:00:00:02", now: t0) == .unknownRun)
            #expect(try a.submitRunEvent(event(2), runID: "nope", mac: mac, now: t0) == .unknownRun)
            #expect(try a.runEvents(id: "r1") == [event(1)])
            #expect(try a.lastRunEventSequence(mac: mac) == 1)
            #expect(try a.lastRunEventSequence(mac: "02:00:00:00:00:09") == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func finishIsIdempotentAndClosesTheRun(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let (store, other) = (try fixture.open(), try fixture.open())
            try store.insertRun(run())
            #expect(try store.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.store))
            guard case .finished(let finished) = try other.finishRun(id: "r1", mac: mac, outcome: .succeeded, atMilliseconds: 99) else {
                Issue.record("not finished")
                return
            }
            #expect(finished.state == "succeeded" && finished.finishedAtMilliseconds == 99)
            #expect(try store.finishRun(id: "r1", mac: mac, outcome: .succeeded, atMilliseconds: 120) == .finished(finished))
            #expect(try store.finishRun(id: "r1", mac: mac, outcome: .failed, atMilliseconds: 120) == .conflict(finished))
            #expect(try store.finishRun(id: "r9", mac: mac, outcome: .failed, atMilliseconds: 120) == .unknownRun)
            #expect(try store.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.duplicate))
            #expect(try store.submitRunEvent(event(2, .finish), runID: "r1", mac: mac, now: t0) == .finished)
            #expect(try store.run(id: "r1") == finished)
            #expect(try store.runs().map(\.id) == ["r1"])
            #expect(try store.runCounts() == ["succeeded": 1])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func deploymentsAreKeptOnce(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            let first = try store.addDeployment(sequence: "Deploy", collection: "Lab", actor: "abc", now: t0)
            let again = try store.addDeployment(sequence: "Deploy", collection: "Lab", actor: "abc", now: t0)
            _ = try store.addDeployment(sequence: "Deploy", collection: "lab", actor: "abc", now: t0)
            // Byte order, as SQLite's BINARY collation: upper case first.
            #expect(try store.deployments().map(\.collection) == ["Lab", "lab"])
            #expect(first && !again)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func oneBatchDecidesEachEventInOrder(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            try store.insertRun(run())
            let batch = [event(1), event(1), event(2, .log, text: "a"), event(2, .log, text: "b")].map {
                RunEventSubmission(event: $0, runID: "r1", mac: mac)
            }
            let admissions = try store.submitRunEvents(batch, now: t0)
            #expect(admissions == [.stored(.store), .stored(.duplicate), .stored(.store), .stored(.conflict)])
            #expect(try store.runEvents(id: "r1").count == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func latestRunIsTheMACsNewest(_ kind: StoreKind) throws {
        try withBridgeRecords(kind) { fixture in
            let store = try fixture.open()
            #expect(try store.latestRun(mac: mac) == nil)
            try store.insertRun(run("r1"))
            var newer = run("r2")
            newer.startedAtMilliseconds = 5
            try store.insertRun(newer)
            var elsewhere = run("r3")
            elsewhere.mac = "02:00:00:00:00:09"
            elsewhere.startedAtMilliseconds = 9
            try store.insertRun(elsewhere)
            // Same start time: the one inserted last.
            var tie = run("r0")
            tie.startedAtMilliseconds = 5
            try store.insertRun(tie)
            #expect(try store.latestRun(mac: mac)?.id == "r0")
            #expect(try store.runs(limit: 2).map(\.id) == ["r3", "r0"])
        }
    }
}

/// Shared-store promises beyond the contract: two bridges relaying one outbox each take
/// different events (the claim), never the same one at once.
@Suite(.serialized) struct PostgresBridgeOutboxTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func twoBridgesNeverClaimTheSameEvent() throws {
        try withBridgeRecords(.postgresql) { fixture in
            let (a, b) = (try fixture.open(), try fixture.open())
            for last in 1...20 {
                let mac = String(format: "02:00:00:00:00:%02x", last)
                let report = ClientReport(sequence: 1, kind: .status, data: .object(["n": .number(Double(last))]))
                _ = try a.submit([ReportSubmission(mac: mac, report: report)], now: t0, relay: true)
            }
            let taken = Results()
            DispatchQueue.concurrentPerform(iterations: 2) { side in
                for event in (try? [a, b][side].dueOutboxEvents(now: t0, limit: 64, claim: 60)) ?? [] { taken.add(Int(event.id)) }
            }
            #expect(taken.counts.count == 20)
            #expect(taken.counts.values.allSatisfy { $0 == 1 })
            // Claimed: not due again until the claim runs out (a bridge that died mid-send).
            #expect(try b.dueOutboxEvents(now: t0 + 59, limit: 64, claim: 60).isEmpty)
            #expect(try b.dueOutboxEvents(now: t0 + 60, limit: 64, claim: 60).count == 20)
        }
    }
}

/// Collects outcomes from concurrent closures.
final class Results: @unchecked Sendable {
    // @unchecked: every field is touched only under `lock`.
    private let lock = NSLock()
    private var tally: [Int: Int] = [:]
    private var failed = 0

    func add(_ key: Int) { lock.withLock { tally[key, default: 0] += 1 } }
    func fail() { lock.withLock { failed += 1 } }
    var counts: [Int: Int] { lock.withLock { tally } }
    var failures: Int { lock.withLock { failed } }
}
