import BridgeCore
import Foundation
import GRDB

/// The outcome of ``BridgeStore/enroll(_:with:now:relay:)``.
public enum EnrollmentOutcome: Sendable {
    /// The device record as stored, and its new client token (shown once).
    case enrolled(DeviceRecord, BridgeToken)
    /// The enrollment token is not a live, unspent enrollment token (401; a replay lands here).
    case refused
}

extension BridgeStore {
    /// Spends the enrollment token `digest`, makes or updates the device record, revokes the
    /// device's earlier client tokens, issues a new one, and (with `relay`) queues an `enrolled`
    /// event for the upstream — all in one transaction, so two racing uses of one enrollment
    /// token cannot both succeed.
    public func enroll(_ request: EnrollmentRequest, with digest: TokenDigest, now: Date,
                       relay: Bool) throws -> EnrollmentOutcome {
        try database.write { db in
            guard let record = BridgeRecordRules.enrollmentAdmits(try Self.token(db, digest: digest), mac: request.mac.description,
                                                                  now: now) else { return .refused }
            let seconds = now.timeIntervalSince1970
            try db.execute(sql: "UPDATE token SET used_at = ? WHERE digest = ? AND used_at IS NULL",
                           arguments: [seconds, digest.hex])
            guard db.changesCount == 1 else { return .refused }
            let mac = request.mac.description
            try db.execute(sql: """
                INSERT INTO device (mac, serial, model, hostname, os_version, enrolled_at, updated_at, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (mac) DO UPDATE SET serial = excluded.serial, model = excluded.model,
                    hostname = excluded.hostname, os_version = excluded.os_version,
                    updated_at = excluded.updated_at, last_seen = excluded.last_seen
                """, arguments: [mac, request.serial, request.model, request.hostname, request.osVersion,
                                 seconds, seconds, seconds])
            try db.execute(sql: "UPDATE token SET revoked_at = ? WHERE device_mac = ? AND role = ? AND revoked_at IS NULL",
                           arguments: [seconds, mac, BridgeRole.client.rawValue])
            let issued = try Self.issueToken(db, role: .client, label: "client \(mac)", ttl: nil, now: now, deviceMAC: mac)
            try Self.appendAudit(db, AuditEntry(at: now, actor: record.id, role: record.role.rawValue,
                                                action: "device.enroll", target: mac, outcome: "allowed"))
            if relay {
                let event = BridgeRecordRules.enrollmentEvent(request, clientToken: issued.record)
                try Self.enqueue(db, mac: mac, key: event.key, kind: "enrollment", body: event.body, now: now)
            }
            guard let device = try Self.device(db, mac: mac) else { return .refused }
            return .enrolled(device, issued.token)
        }
    }

    /// Every device, by MAC.
    public func devices() throws -> [DeviceRecord] {
        try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM device ORDER BY mac").map(Self.deviceRecord) }
    }

    public func device(mac: String) throws -> DeviceRecord? {
        try database.read { db in try Self.device(db, mac: mac) }
    }

    public func deviceCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM device") ?? 0 }
    }

    static func device(_ db: Database, mac: String) throws -> DeviceRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM device WHERE mac = ?", arguments: [mac]).map(deviceRecord)
    }

    static func deviceRecord(_ row: Row) -> DeviceRecord {
        DeviceRecord(mac: row["mac"], serial: row["serial"], model: row["model"], hostname: row["hostname"],
                     osVersion: row["os_version"], enrolledAt: Date(timeIntervalSince1970: row["enrolled_at"]),
                     updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
                     lastSeen: Date(timeIntervalSince1970: row["last_seen"]),
                     lastSequence: row["last_sequence"], reportCount: row["report_count"])
    }
}
