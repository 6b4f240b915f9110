import BridgeCore
import Foundation
import NetbootWire
import Testing
@testable import NetbootStore

/// The bridge store against real files (no mocks): tokens kept as digests, single-use
/// enrollment, reports stored once per (client, sequence), the outbox's per-client order.
@Suite struct BridgeStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func withStore(_ body: (BridgeStore, String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-bridge-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(try BridgeStore(stateDirectory: directory), directory)
    }

    func enrollment(_ last: UInt8) -> EnrollmentRequest {
        EnrollmentRequest(mac: MACAddress(rawValue: 0x0200_0000_0000 + UInt64(last)), serial: "S\(last)", model: "Macmini8,1",
                          hostname: "lab-\(last)", osVersion: "14.4")
    }

    func report(_ sequence: Int64, _ step: String = "Partition") -> ClientReport {
        ClientReport(sequence: sequence, kind: .status,
                     data: .object(["run": .string("r1"), "step": .string(step), "phase": .string("start")]))
    }

    @Test func tokensAreStoredOnlyAsDigests() throws {
        try withStore { store, directory in
            let (token, record) = try store.issueToken(role: .administrator, label: "ops", ttl: 3600, now: t0)
            #expect(try store.token(digest: token.digest) == record)
            #expect(record.expiresAt == t0 + 3600)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
                + ((try? Data(contentsOf: URL(fileURLWithPath: store.path + "-wal"))) ?? Data())
            #expect(bytes.range(of: Data(token.text.utf8)) == nil)
            #expect(bytes.range(of: Data(token.digest.hex.utf8)) != nil)
            for file in [store.path, store.path + "-wal"] {
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file)")
            }
            _ = directory
        }
    }

    @Test func revokeByPublicID() throws {
        try withStore { store, _ in
            let (token, record) = try store.issueToken(role: .enrollers, label: "", ttl: nil, now: t0)
            #expect(try store.revokeToken(id: "000000000000", now: t0) == nil)
            #expect(try store.revokeToken(id: "not-an-id", now: t0) == nil)
            let revoked = try #require(try store.revokeToken(id: record.id, now: t0 + 5))
            #expect(revoked.revokedAt == t0 + 5)
            #expect(try store.revokeToken(id: record.id, now: t0 + 9)?.revokedAt == t0 + 5)
            #expect(TokenCheck.evaluate(try store.token(digest: token.digest), requires: .tokensIssue, now: t0 + 6) == .unauthenticated)
            #expect(try store.tokens().map(\.id) == [record.id])
        }
    }

    @Test func enrollmentTokenWorksOnceAndYieldsAClientToken() throws {
        try withStore { store, _ in
            let (enrollToken, _) = try store.issueToken(role: .enrollment, label: "", ttl: 600, now: t0)
            guard case let .enrolled(device, clientToken) = try store.enroll(enrollment(1), with: enrollToken.digest, now: t0 + 1, relay: false) else {
                Issue.record("refused")
                return
            }
            #expect(device.mac == "02:00:00:00:00:01" && device.hostname == "lab-1" && device.enrolledAt == t0 + 1)
            let client = try #require(try store.token(digest: clientToken.digest))
            #expect(client.role == .client && client.deviceMAC == "02:00:00:00:00:01")
            // A replay of the spent token is refused, and makes nothing.
            guard case .refused = try store.enroll(enrollment(2), with: enrollToken.digest, now: t0 + 2, relay: false) else {
                Issue.record("replay accepted")
                return
            }
            #expect(try store.devices().map(\.mac) == ["02:00:00:00:00:01"])
            #expect(try store.audit().map(\.action) == ["device.enroll"])
        }
    }

    @Test func enrollmentRefusesExpiredAndWrongRoleTokens() throws {
        try withStore { store, _ in
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

    @Test func reEnrollmentUpdatesTheRecordAndRevokesTheOldClientToken() throws {
        try withStore { store, _ in
            let first = try store.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
            let second = try store.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
            guard case let .enrolled(_, oldClient) = try store.enroll(enrollment(1), with: first.digest, now: t0, relay: false) else { return }
            var again = enrollment(1)
            again.hostname = "renamed"
            guard case let .enrolled(device, newClient) = try store.enroll(again, with: second.digest, now: t0 + 10, relay: false) else {
                Issue.record("refused")
                return
            }
            #expect(device.hostname == "renamed" && device.enrolledAt == t0 && device.updatedAt == t0 + 10)
            #expect(try store.token(digest: oldClient.digest)?.revokedAt == t0 + 10)
            #expect(try store.token(digest: newClient.digest)?.state(at: t0 + 10) == .active)
        }
    }

    @Test func aReportIsStoredOncePerSequence() throws {
        try withStore { store, _ in
            let token = try store.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
            _ = try store.enroll(enrollment(1), with: token.digest, now: t0, relay: true)
            let mac = "02:00:00:00:00:01"
            let batch = [ReportSubmission(mac: mac, report: report(1)), ReportSubmission(mac: mac, report: report(2)),
                         ReportSubmission(mac: mac, report: report(1)), ReportSubmission(mac: mac, report: report(2, "Other"))]
            #expect(try store.submit(batch, now: t0 + 1, relay: true) == [.store, .store, .duplicate, .conflict])
            #expect(try store.submit([ReportSubmission(mac: mac, report: report(1))], now: t0 + 2, relay: true) == [.duplicate])
            #expect(try store.reports(mac: mac).map(\.sequence) == [1, 2])
            let device = try #require(try store.device(mac: mac))
            #expect(device.lastSequence == 2 && device.reportCount == 2 && device.lastSeen == t0 + 1)
            // One outbox event each: the enrollment and two reports, nothing for the repeats.
            #expect(try store.outboxCounts().pending == 3)
        }
    }

    @Test func outboxHandsOutEachClientsEventsInOrderWithBackoff() throws {
        try withStore { store, _ in
            for last: UInt8 in 1...2 {
                let token = try store.issueToken(role: .enrollment, label: "", ttl: nil, now: t0).token
                _ = try store.enroll(enrollment(last), with: token.digest, now: t0, relay: true)
                _ = try store.submit([ReportSubmission(mac: "02:00:00:00:00:0\(last)", report: report(1))], now: t0, relay: true)
            }
            let schedule = OutboxSchedule(base: 1, cap: 60)
            var due = try store.dueOutboxEvents(now: t0)
            #expect(due.map(\.idempotencyKey).allSatisfy { $0.contains("/enroll/") })
            #expect(Set(due.map(\.mac)) == ["02:00:00:00:00:01", "02:00:00:00:00:02"])
            // Client 1's head fails: its report waits behind it; client 2 moves on.
            let one = try #require(due.first { $0.mac.hasSuffix("01") })
            let two = try #require(due.first { $0.mac.hasSuffix("02") })
            try store.recordOutboxAttempt(id: one.id, outcome: .retry, error: "503", schedule: schedule, now: t0)
            try store.recordOutboxAttempt(id: two.id, outcome: .delivered, error: nil, schedule: schedule, now: t0)
            due = try store.dueOutboxEvents(now: t0 + 0.5)
            #expect(due.map(\.idempotencyKey) == ["02:00:00:00:00:02/report/1"])
            due = try store.dueOutboxEvents(now: t0 + 1)
            #expect(due.map(\.idempotencyKey).sorted() == [one.idempotencyKey, "02:00:00:00:00:02/report/1"].sorted())
            #expect(due.first { $0.id == one.id }?.attempts == 1)
            try store.recordOutboxAttempt(id: one.id, outcome: .retry, error: "timeout", schedule: schedule, now: t0 + 1)
            #expect(try store.dueOutboxEvents(now: t0 + 2.9).allSatisfy { $0.id != one.id })
            #expect(try store.dueOutboxEvents(now: t0 + 3).contains { $0.id == one.id })
        }
    }

    @Test func auditNewestFirst() throws {
        try withStore { store, _ in
            for index in 0..<3 {
                try store.appendAudit(AuditEntry(at: t0 + Double(index), actor: "cli", role: "administrator",
                                                 action: "token.issue", target: "t\(index)", outcome: "allowed"))
            }
            let lines = try store.audit(limit: 2)
            #expect(lines.map(\.target) == ["t2", "t1"])
            #expect(try store.audit(before: lines[1].id).map(\.target) == ["t0"])
        }
    }

    // MARK: boot tokens and the boot decision's reads (issue 17)

    @Test func aBootTokenReplacesTheMACsUnusedOneAndEnrollsOnlyThatMAC() throws {
        try withStore { store, _ in
            let mac = "02:00:00:00:00:01"
            let first = try store.issueBootToken(mac: mac, ttl: 600, now: t0)
            let second = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 1)
            let other = try store.issueBootToken(mac: "02:00:00:00:00:02", ttl: 600, now: t0 + 1)
            #expect(try store.token(digest: first.digest) == nil)
            let record = try #require(try store.token(digest: second.digest))
            #expect(record.role == .enrollment && record.deviceMAC == mac && record.label == "boot \(mac)")
            #expect(record.expiresAt == t0 + 601)
            #expect(try store.tokens().count == 2)
            // Another MAC cannot spend it, and the refusal leaves it unused.
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
            // A used boot token stays (audit); the next fetch adds one beside it. An expired
            // unused boot token of any MAC goes at the next mint.
            _ = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 5)
            #expect(try store.token(digest: second.digest)?.usedAt == t0 + 3)
            _ = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 700)
            #expect(try store.token(digest: other.digest) == nil)
            // Tokens issued by hand (no MAC, another label) are never pruned.
            let manual = try store.issueToken(role: .enrollment, label: "", ttl: 60, now: t0).token
            _ = try store.issueBootToken(mac: mac, ttl: 600, now: t0 + 800)
            #expect(try store.token(digest: manual.digest) != nil)
        }
    }
}

/// Runs in the bridge store (issue 16 §6): events stored once per (client, sequence), refused
/// for another device's or a finished run, finish idempotent, deployments kept.
@Suite struct BridgeStoreRunTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let mac = "02:00:00:00:00:01"

    func withStore(_ body: (BridgeStore) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-runs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(try BridgeStore(stateDirectory: directory))
    }

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

    @Test func eventsAreStoredOnceAndAConflictingNumberIsRefused() throws {
        try withStore { store in
            try store.insertRun(run())
            #expect(try store.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.store))
            #expect(try store.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.duplicate))
            #expect(try store.submitRunEvent(event(1, .log, text: "x"), runID: "r1", mac: mac, now: t0) == .stored(.conflict))
            #expect(try store.submitRunEvent(event(2), runID: "r1", mac: "02:00:00:00:00:02", now: t0) == .unknownRun)
            #expect(try store.submitRunEvent(event(2), runID: "nope", mac: mac, now: t0) == .unknownRun)
            #expect(try store.runEvents(id: "r1") == [event(1)])
            #expect(try store.lastRunEventSequence(mac: mac) == 1)
        }
    }

    @Test func finishIsIdempotentAndClosesTheRun() throws {
        try withStore { store in
            try store.insertRun(run())
            #expect(try store.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.store))
            guard case .finished(let finished) = try store.finishRun(id: "r1", mac: mac, outcome: .succeeded, atMilliseconds: 99) else {
                Issue.record("not finished")
                return
            }
            #expect(finished.state == "succeeded" && finished.finishedAtMilliseconds == 99)
            #expect(try store.finishRun(id: "r1", mac: mac, outcome: .succeeded, atMilliseconds: 120) == .finished(finished))
            #expect(try store.finishRun(id: "r1", mac: mac, outcome: .failed, atMilliseconds: 120) == .conflict(finished))
            // An event sent again after the finish (its answer was lost) is still acknowledged; a new one is not taken.
            #expect(try store.submitRunEvent(event(1), runID: "r1", mac: mac, now: t0) == .stored(.duplicate))
            #expect(try store.submitRunEvent(event(2, .finish), runID: "r1", mac: mac, now: t0) == .finished)
            #expect(try store.run(id: "r1") == finished)
            #expect(try store.runs().map(\.id) == ["r1"])
        }
    }

    @Test func deploymentsAreKeptOnce() throws {
        try withStore { store in
            let first = try store.addDeployment(sequence: "Deploy", collection: "Lab", actor: "abc", now: t0)
            let again = try store.addDeployment(sequence: "Deploy", collection: "Lab", actor: "abc", now: t0)
            let collections = try store.deployments().map(\.collection)
            #expect(first && !again)
            #expect(collections == ["Lab"])
        }
    }
}

extension BridgeStoreRunTests {
    @Test func oneBatchDecidesEachEventInOrder() throws {
        try withStore { store in
            try store.insertRun(run())
            let batch = [event(1), event(1), event(2, .log, text: "a"), event(2, .log, text: "b")].map {
                BridgeStore.RunEventSubmission(event: $0, runID: "r1", mac: mac)
            }
            let admissions = try store.submitRunEvents(batch, now: t0)
            #expect(admissions == [.stored(.store), .stored(.duplicate), .stored(.store), .stored(.conflict)])
            #expect(try store.runEvents(id: "r1").count == 2)
        }
    }

    @Test func latestRunIsTheMACsNewest() throws {
        try withStore { store in
            #expect(try store.latestRun(mac: mac) == nil)
            try store.insertRun(run("r1"))
            var newer = run("r2")
            newer.startedAtMilliseconds = 5
            try store.insertRun(newer)
            var elsewhere = run("r3")
            elsewhere.mac = "02:00:00:00:00:09"
            elsewhere.startedAtMilliseconds = 9
            try store.insertRun(elsewhere)
            #expect(try store.latestRun(mac: mac)?.id == "r2")
        }
    }
}
