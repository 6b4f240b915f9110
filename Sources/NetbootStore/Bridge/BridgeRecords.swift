import BridgeCore
import Foundation

/// The proxy bridge's records behind one protocol (docs/store.md "The bridge's records"), so
/// that the bridge and its commands run on the embedded `BridgeStore` (`state-dir/bridge.sqlite`,
/// the default) or on the shared PostgreSQL database several appliances use
/// (`PostgresStore`, NetbootStorePostgres). Every call is one transaction and blocks: call it
/// off the event loop. What must agree between the backends is pure code in BridgeCore
/// (``TokenCheck``, ``ReportAdmission``, ``OutboxSchedule``) and in ``BridgeRecordRules``.
public protocol BridgeRecords: TokenRecords, DeviceRecords, ReportRecords, RunRecords, OutboxRecords, AuditRecords,
    EscrowRecords, AnyObject
{
    /// `sqlite` or `postgresql`, for logs and `netboot status`.
    var backendName: String { get }
    /// Where the records are: a file, or a database URL without its password.
    var location: String { get }
}

/// Tokens, kept as digests only (docs/bridge.md "Tokens").
public protocol TokenRecords: Sendable {
    /// Makes a token of `role` and stores its digest; the returned token is the only copy of its text.
    func issueToken(role: BridgeRole, label: String, ttl: TimeInterval?, now: Date,
                    deviceMAC: String?) throws -> (token: BridgeToken, record: TokenRecord)
    /// The one-time enrollment token of an iPXE script for `mac` (see ``BridgeStore/issueBootToken(mac:ttl:now:)``).
    func issueBootToken(mac: String, ttl: TimeInterval, now: Date) throws -> BridgeToken
    /// The record with `digest`, whatever its state (the caller applies ``TokenCheck``).
    func token(digest: TokenDigest) throws -> TokenRecord?
    /// Every token, newest first.
    func tokens() throws -> [TokenRecord]
    /// Revokes the token whose public id is `id`; nil when no (or more than one) token has it.
    func revokeToken(id: String, now: Date) throws -> TokenRecord?
}

/// Enrolled devices. `enroll` spends a one-time token at most once, whatever races it.
public protocol DeviceRecords: Sendable {
    func enroll(_ request: EnrollmentRequest, with digest: TokenDigest, now: Date, relay: Bool) throws -> EnrollmentOutcome
    func devices() throws -> [DeviceRecord]
    func device(mac: String) throws -> DeviceRecord?
    func deviceCount() throws -> Int
}

/// Client reports, deduplicated by `(mac, sequence)`.
public protocol ReportRecords: Sendable {
    /// Stores a batch in one durable transaction; returns only after COMMIT (the 202 waits for it).
    func submit(_ batch: [ReportSubmission], now: Date, relay: Bool) throws -> [ReportAdmission]
    func reports(mac: String, after: Int64, limit: Int) throws -> [StoredReport]
}

/// Runs, their step events (deduplicated like reports) and console deployments.
public protocol RunRecords: Sendable {
    func hasRunTables() throws -> Bool
    func insertRun(_ run: RunRecord) throws
    func submitRunEvents(_ batch: [RunEventSubmission], now: Date) throws -> [RunEventAdmission]
    func finishRun(id: String, mac: String, outcome: RunFinishRequest.Outcome, atMilliseconds: Int64) throws -> RunFinishAdmission
    func run(id: String) throws -> RunRecord?
    func latestRun(mac: String) throws -> RunRecord?
    func runCounts() throws -> [String: Int]
    func runs(limit: Int) throws -> [RunRecord]
    func runEvents(id: String) throws -> [RunEvent]
    func lastRunEventSequence(mac: String) throws -> Int64
    func addDeployment(sequence: String, collection: String, actor: String, now: Date) throws -> Bool
    func deployments() throws -> [StoredDeployment]
}

/// The upstream outbox: each client's events in order, each delivered once.
public protocol OutboxRecords: Sendable {
    /// For each client only its oldest undelivered event, when its retry time has come. A
    /// shared backend also **claims** what it returns until `now + claim` (``OutboxClaim``),
    /// so that two bridges relaying one outbox never send the same event at once; the
    /// attempt recorded next replaces the claim.
    func dueOutboxEvents(now: Date, limit: Int, claim: TimeInterval) throws -> [OutboxEvent]
    func recordOutboxAttempt(id: Int64, outcome: OutboxSchedule.Outcome, error: String?,
                             schedule: OutboxSchedule, now: Date) throws
    func outboxCounts() throws -> (pending: Int, delivered: Int, rejected: Int)
}

/// The audit log: every admin action and enrollment.
public protocol AuditRecords: Sendable {
    func appendAudit(_ entry: AuditEntry) throws
    func audit(before: Int64?, limit: Int) throws -> [AuditEntry]
}

/// Escrowed secrets, sealed, never deleted.
public protocol EscrowRecords: Sendable {
    func escrow(mac: String, kind: String, sealed: Data, now: Date) throws -> StoredEscrow
    func escrowed(mac: String) throws -> [StoredEscrow]
}

/// How long a claim of the outbox keeps an event from other bridges: the sender's request
/// timeout, twice, plus a margin. A bridge that dies mid-send leaves its claimed events to
/// the others after this long (they go out again with the same `Idempotency-Key`).
public enum OutboxClaim {
    public static func seconds(requestTimeout: Int) -> TimeInterval { TimeInterval(2 * max(1, requestTimeout) + 30) }
}

// The defaults the call sites use.
extension TokenRecords {
    public func issueToken(role: BridgeRole, label: String, ttl: TimeInterval?,
                           now: Date) throws -> (token: BridgeToken, record: TokenRecord) {
        try issueToken(role: role, label: label, ttl: ttl, now: now, deviceMAC: nil)
    }
}

extension ReportRecords {
    public func reports(mac: String) throws -> [StoredReport] { try reports(mac: mac, after: 0, limit: 100) }
    public func reports(mac: String, after: Int64) throws -> [StoredReport] { try reports(mac: mac, after: after, limit: 100) }
    public func reports(mac: String, limit: Int) throws -> [StoredReport] { try reports(mac: mac, after: 0, limit: limit) }
}

extension RunRecords {
    public func runs() throws -> [RunRecord] { try runs(limit: 100) }
    /// Stores one step event (``submitRunEvents(_:now:)`` with one).
    public func submitRunEvent(_ event: RunEvent, runID: String, mac: String, now: Date) throws -> RunEventAdmission {
        try submitRunEvents([RunEventSubmission(event: event, runID: runID, mac: mac)], now: now).first ?? .unknownRun
    }
}

extension OutboxRecords {
    public func dueOutboxEvents(now: Date, limit: Int = 64) throws -> [OutboxEvent] {
        try dueOutboxEvents(now: now, limit: limit, claim: 0)
    }
}

extension AuditRecords {
    public func audit(limit: Int = 100) throws -> [AuditEntry] { try audit(before: nil, limit: limit) }
    public func audit(before: Int64?) throws -> [AuditEntry] { try audit(before: before, limit: 100) }
}
