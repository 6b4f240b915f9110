import BridgeCore
import Foundation
import GRDB

/// One client report on its way into the store: the device it came from and the report.
public struct ReportSubmission: Sendable {
    public var mac: String
    public var report: ClientReport
    /// The report's canonical JSON and its digest, made by whoever submits it (in parallel, on
    /// the request's own thread) so that the one writer does only the transaction.
    public let body: Data
    public let digest: ReportDigest

    public init(mac: String, report: ClientReport) {
        self.mac = mac
        self.report = report
        body = report.canonicalJSON
        digest = ReportDigest(canonical: body)
    }
}

extension BridgeStore {
    /// Stores a batch of reports in one durable transaction (group commit: one WAL sync for
    /// the batch), deciding each with ``ReportAdmission``; with `relay`, each stored report is
    /// queued in the outbox in the same transaction, so a report acknowledged with 202 is never
    /// lost and never forwarded twice. Returns one admission per submission, in order.
    public func submit(_ batch: [ReportSubmission], now: Date, relay: Bool) throws -> [ReportAdmission] {
        guard !batch.isEmpty else { return [] }
        return try database.write { db in
            try batch.map { submission in
                let (report, body, digest) = (submission.report, submission.body, submission.digest)
                // Cached statements: compiled once per connection, not once per report.
                let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT digest FROM report WHERE mac = ? AND sequence = ?"),
                                                 arguments: [submission.mac, report.sequence]).map(ReportDigest.init(hex:))
                let admission = ReportAdmission.decide(stored: stored, incoming: digest)
                guard admission == .store else { return admission }
                let seconds = now.timeIntervalSince1970
                try db.cachedStatement(sql: """
                    INSERT INTO report (mac, sequence, kind, body, digest, received_at) VALUES (?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [submission.mac, report.sequence, report.kind.rawValue, body, digest.hex, seconds])
                try db.cachedStatement(sql: """
                    UPDATE device SET last_seen = ?, last_sequence = max(last_sequence, ?), report_count = report_count + 1
                    WHERE mac = ?
                    """).execute(arguments: [seconds, report.sequence, submission.mac])
                if relay {
                    try Self.enqueue(db, mac: submission.mac, key: BridgeRecordRules.reportKey(mac: submission.mac, sequence: report.sequence),
                                     kind: report.kind.rawValue, body: body, now: now)
                }
                return admission
            }
        }
    }

    /// A device's reports with sequence numbers above `after`, in order, at most `limit`.
    public func reports(mac: String, after: Int64 = 0, limit: Int = 100) throws -> [StoredReport] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM report WHERE mac = ? AND sequence > ? ORDER BY sequence LIMIT ?
                """, arguments: [mac, after, limit]).compactMap { row in
                guard let kind = ReportKind(rawValue: row["kind"]) else { return nil }
                return StoredReport(mac: row["mac"], sequence: row["sequence"], kind: kind, body: row["body"],
                                    receivedAt: Date(timeIntervalSince1970: row["received_at"]))
            }
        }
    }
}
