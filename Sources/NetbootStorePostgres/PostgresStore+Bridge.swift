import BridgeCore
import Foundation
import NetbootStore
import PostgresNIO

/// The proxy bridge's records in the shared database (docs/store.md "The bridge's records"), so
/// that a machine enrolled through one appliance is known to the others, a run started through
/// one is reportable through another, and a token issued on one works on all. Each call is one
/// transaction (as in `BridgeStore`); the decisions are the shared pure rules
/// (``BridgeRecordRules``, `TokenCheck`, `ReportAdmission`); what several appliances could race
/// on is settled by the database:
///
/// - a one-time enrollment token is locked (`FOR UPDATE`) and spent with a conditional
///   `UPDATE … WHERE used_at IS NULL`: of two appliances presenting it at once, one enrolls;
/// - a report or step event is inserted with `ON CONFLICT (mac, sequence) DO NOTHING` and, when
///   it did nothing, decided against the row that is there (duplicate or conflict);
/// - the outbox is claimed (``dueOutboxEvents(now:limit:claim:)``) so one bridge sends each event.
extension PostgresStore: BridgeRecords {
    // MARK: tokens

    public func issueToken(role: BridgeRole, label: String, ttl: TimeInterval?, now: Date,
                           deviceMAC: String? = nil) throws -> (token: BridgeToken, record: TokenRecord) {
        try transaction { connection in
            try issueToken(role: role, label: label, ttl: ttl, now: now, deviceMAC: deviceMAC, on: connection)
        }
    }

    func issueToken(role: BridgeRole, label: String, ttl: TimeInterval?, now: Date, deviceMAC: String?,
                    on connection: PostgresConnection) throws -> (token: BridgeToken, record: TokenRecord) {
        let token = BridgeToken.generate()
        let record = TokenRecord(digest: token.digest, role: role, label: label, createdAt: now,
                                 expiresAt: ttl.map { now.addingTimeInterval($0) }, deviceMAC: deviceMAC)
        try run("""
            INSERT INTO bridge_token (digest, role, label, created_at, expires_at, device_mac)
            VALUES (\(record.digest.hex), \(role.rawValue), \(label), \(now.timeIntervalSince1970),
                    \(record.expiresAt?.timeIntervalSince1970), \(deviceMAC))
            """, on: connection)
        return (token, record)
    }

    public func issueBootToken(mac: String, ttl: TimeInterval, now: Date) throws -> BridgeToken {
        try transaction { connection in
            try run("""
                DELETE FROM bridge_token WHERE role = \(BridgeRole.enrollment.rawValue) AND used_at IS NULL AND label LIKE 'boot %'
                    AND ((device_mac = \(mac) AND label = \(BridgeStore.bootTokenLabel(mac: mac)))
                         OR expires_at <= \(now.timeIntervalSince1970))
                """, on: connection)
            return try issueToken(role: .enrollment, label: BridgeStore.bootTokenLabel(mac: mac), ttl: ttl, now: now,
                                  deviceMAC: mac, on: connection).token
        }
    }

    public func token(digest: TokenDigest) throws -> TokenRecord? {
        try read { connection in try fetchToken(digest, lock: false, on: connection) }
    }

    func fetchToken(_ digest: TokenDigest, lock: Bool, on connection: PostgresConnection) throws -> TokenRecord? {
        let rows = lock
            ? try run("SELECT \(unescaped: Self.tokenColumns) FROM bridge_token WHERE digest = \(digest.hex) FOR UPDATE", on: connection)
            : try run("SELECT \(unescaped: Self.tokenColumns) FROM bridge_token WHERE digest = \(digest.hex)", on: connection)
        return try rows.first.flatMap(Self.tokenRecord)
    }

    public func tokens() throws -> [TokenRecord] {
        try read { connection in
            try run("SELECT \(unescaped: Self.tokenColumns) FROM bridge_token ORDER BY created_at DESC, digest", on: connection)
                .compactMap(Self.tokenRecord)
        }
    }

    public func revokeToken(id: String, now: Date) throws -> TokenRecord? {
        guard let id = BridgeRecordRules.revocationID(id) else { return nil }
        return try transaction { connection in
            let rows = try run("SELECT \(unescaped: Self.tokenColumns) FROM bridge_token WHERE left(digest, 12) = \(id) FOR UPDATE",
                               on: connection).compactMap(Self.tokenRecord)
            guard rows.count == 1 else { return nil }
            try run("""
                UPDATE bridge_token SET revoked_at = coalesce(revoked_at, \(now.timeIntervalSince1970)) WHERE digest = \(rows[0].digest.hex)
                """, on: connection)
            return try fetchToken(rows[0].digest, lock: false, on: connection)
        }
    }

    static let tokenColumns = "digest, role, label, created_at, expires_at, used_at, revoked_at, device_mac"

    static func tokenRecord(_ row: PostgresRow) throws -> TokenRecord? {
        let (digest, roleText, label, created, expires, used, revoked, mac) =
            try row.decode((String, String, String, Double, Double?, Double?, Double?, String?).self)
        guard let role = BridgeRole(rawValue: roleText) else { return nil }
        return TokenRecord(digest: TokenDigest(hex: digest), role: role, label: label, createdAt: Date(timeIntervalSince1970: created),
                           expiresAt: expires.map(Date.init(timeIntervalSince1970:)), usedAt: used.map(Date.init(timeIntervalSince1970:)),
                           revokedAt: revoked.map(Date.init(timeIntervalSince1970:)), deviceMAC: mac)
    }

    // MARK: devices

    public func enroll(_ request: EnrollmentRequest, with digest: TokenDigest, now: Date, relay: Bool) throws -> EnrollmentOutcome {
        let mac = request.mac.description
        return try transaction { connection in
            // Locked: a second appliance presenting the same token waits here, then sees it spent.
            guard let record = BridgeRecordRules.enrollmentAdmits(try fetchToken(digest, lock: true, on: connection), mac: mac,
                                                                  now: now) else { return .refused }
            let seconds = now.timeIntervalSince1970
            let spent = try run("UPDATE bridge_token SET used_at = \(seconds) WHERE digest = \(digest.hex) AND used_at IS NULL",
                                on: connection)
            guard spent.metadata.rows == 1 else { return .refused }
            try run("""
                INSERT INTO bridge_device (mac, serial, model, hostname, os_version, enrolled_at, updated_at, last_seen)
                VALUES (\(mac), \(request.serial), \(request.model), \(request.hostname), \(request.osVersion),
                        \(seconds), \(seconds), \(seconds))
                ON CONFLICT (mac) DO UPDATE SET serial = excluded.serial, model = excluded.model,
                    hostname = excluded.hostname, os_version = excluded.os_version,
                    updated_at = excluded.updated_at, last_seen = excluded.last_seen
                """, on: connection)
            try run("""
                UPDATE bridge_token SET revoked_at = \(seconds)
                WHERE device_mac = \(mac) AND role = \(BridgeRole.client.rawValue) AND revoked_at IS NULL
                """, on: connection)
            let issued = try issueToken(role: .client, label: "client \(mac)", ttl: nil, now: now, deviceMAC: mac, on: connection)
            try appendAudit(AuditEntry(at: now, actor: record.id, role: record.role.rawValue, action: "device.enroll",
                                       target: mac, outcome: "allowed"), on: connection)
            if relay {
                let event = BridgeRecordRules.enrollmentEvent(request, clientToken: issued.record)
                try enqueue(mac: mac, key: event.key, kind: "enrollment", body: event.body, now: now, on: connection)
            }
            guard let device = try fetchDevice(mac, on: connection) else { return .refused }
            return .enrolled(device, issued.token)
        }
    }

    public func devices() throws -> [DeviceRecord] {
        try read { connection in
            try run("SELECT \(unescaped: Self.deviceColumns) FROM bridge_device ORDER BY mac", on: connection).map(Self.deviceRecord)
        }
    }

    public func device(mac: String) throws -> DeviceRecord? {
        try read { connection in try fetchDevice(mac, on: connection) }
    }

    public func deviceCount() throws -> Int {
        try read { connection in try run("SELECT count(*) FROM bridge_device", on: connection).first?.decode(Int.self) ?? 0 }
    }

    func fetchDevice(_ mac: String, on connection: PostgresConnection) throws -> DeviceRecord? {
        try run("SELECT \(unescaped: Self.deviceColumns) FROM bridge_device WHERE mac = \(mac)", on: connection).first.map(Self.deviceRecord)
    }

    static let deviceColumns =
        "mac, serial, model, hostname, os_version, enrolled_at, updated_at, last_seen, last_sequence, report_count"

    static func deviceRecord(_ row: PostgresRow) throws -> DeviceRecord {
        let (mac, serial, model, hostname, os, enrolled, updated, seen, last, count) =
            try row.decode((String, String?, String?, String?, String?, Double, Double, Double, Int64, Int64).self)
        return DeviceRecord(mac: mac, serial: serial, model: model, hostname: hostname, osVersion: os,
                            enrolledAt: Date(timeIntervalSince1970: enrolled), updatedAt: Date(timeIntervalSince1970: updated),
                            lastSeen: Date(timeIntervalSince1970: seen), lastSequence: last, reportCount: count)
    }

    // MARK: reports

    /// One transaction for the batch; returns after COMMIT, so a 202 is never sent for a report
    /// the database does not hold. Each report is inserted unless its `(mac, sequence)` is taken
    /// (then `ReportAdmission` decides duplicate or conflict against the row there, whichever
    /// appliance wrote it).
    public func submit(_ batch: [ReportSubmission], now: Date, relay: Bool) throws -> [ReportAdmission] {
        guard !batch.isEmpty else { return [] }
        let seconds = now.timeIntervalSince1970
        return try transaction { connection in
            try batch.map { submission in
                let (mac, report) = (submission.mac, submission.report)
                let inserted = try run("""
                    INSERT INTO bridge_report (mac, sequence, kind, body, digest, received_at)
                    VALUES (\(mac), \(report.sequence), \(report.kind.rawValue), \(submission.body), \(submission.digest.hex), \(seconds))
                    ON CONFLICT (mac, sequence) DO NOTHING
                    """, on: connection)
                let stored = inserted.metadata.rows == 1 ? nil
                    : try run("SELECT digest FROM bridge_report WHERE mac = \(mac) AND sequence = \(report.sequence)", on: connection)
                        .first.map { ReportDigest(hex: try $0.decode(String.self)) }
                let admission = ReportAdmission.decide(stored: stored, incoming: submission.digest)
                guard admission == .store else { return admission }
                try run("""
                    UPDATE bridge_device SET last_seen = \(seconds), last_sequence = greatest(last_sequence, \(report.sequence)),
                        report_count = report_count + 1
                    WHERE mac = \(mac)
                    """, on: connection)
                if relay {
                    try enqueue(mac: mac, key: BridgeRecordRules.reportKey(mac: mac, sequence: report.sequence),
                                kind: report.kind.rawValue, body: submission.body, now: now, on: connection)
                }
                return admission
            }
        }
    }

    public func reports(mac: String, after: Int64 = 0, limit: Int = 100) throws -> [StoredReport] {
        try read { connection in
            try run("""
                SELECT mac, sequence, kind, body, received_at FROM bridge_report
                WHERE mac = \(mac) AND sequence > \(after) ORDER BY sequence LIMIT \(limit)
                """, on: connection).compactMap { row in
                let (mac, sequence, kindText, body, received) = try row.decode((String, Int64, String, Data, Double).self)
                guard let kind = ReportKind(rawValue: kindText) else { return nil }
                return StoredReport(mac: mac, sequence: sequence, kind: kind, body: body, receivedAt: Date(timeIntervalSince1970: received))
            }
        }
    }

    // MARK: audit

    public func appendAudit(_ entry: AuditEntry) throws {
        try transaction { connection in try appendAudit(entry, on: connection) }
    }

    func appendAudit(_ entry: AuditEntry, on connection: PostgresConnection) throws {
        try run("""
            INSERT INTO bridge_audit (at, actor, role, action, target, outcome)
            VALUES (\(entry.at.timeIntervalSince1970), \(entry.actor), \(entry.role), \(entry.action), \(entry.target), \(entry.outcome))
            """, on: connection)
    }

    public func audit(before: Int64? = nil, limit: Int = 100) throws -> [AuditEntry] {
        try read { connection in
            try run("""
                SELECT id, at, actor, role, action, target, outcome FROM bridge_audit
                WHERE id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
                """, on: connection).map { row in
                let (id, at, actor, role, action, target, outcome) = try row.decode((Int64, Double, String, String, String, String, String).self)
                return AuditEntry(id: id, at: Date(timeIntervalSince1970: at), actor: actor, role: role, action: action,
                                  target: target, outcome: outcome)
            }
        }
    }

    // MARK: escrow

    public func escrow(mac: String, kind: String, sealed: Data, now: Date) throws -> StoredEscrow {
        try transaction { connection in
            let rows = try run("""
                INSERT INTO bridge_escrow (mac, kind, sealed, escrowed_at) VALUES (\(mac), \(kind), \(sealed), \(now.timeIntervalSince1970))
                RETURNING id
                """, on: connection)
            guard let id = try rows.first?.decode(Int64.self) else { throw PostgresStoreError.failed("no id for the escrow row") }
            return StoredEscrow(id: id, mac: mac, kind: kind, sealed: sealed, escrowedAt: now)
        }
    }

    public func escrowed(mac: String) throws -> [StoredEscrow] {
        try read { connection in
            try run("SELECT id, mac, kind, sealed, escrowed_at FROM bridge_escrow WHERE mac = \(mac) ORDER BY id DESC", on: connection)
                .map { row in
                    let (id, mac, kind, sealed, at) = try row.decode((Int64, String, String, Data, Double).self)
                    return StoredEscrow(id: id, mac: mac, kind: kind, sealed: sealed, escrowedAt: Date(timeIntervalSince1970: at))
                }
        }
    }
}
