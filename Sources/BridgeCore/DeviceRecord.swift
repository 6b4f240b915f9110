import Foundation

/// An enrolled machine as the bridge knows it (seed-catalog C35): made by its first enrollment,
/// updated by later ones, touched by every report.
public struct DeviceRecord: Hashable, Sendable, Codable {
    /// `aa:bb:cc:dd:ee:ff`, the key.
    public var mac: String
    public var serial: String?
    public var model: String?
    public var hostname: String?
    public var osVersion: String?
    public var enrolledAt: Date
    public var updatedAt: Date
    /// The last enrollment or report.
    public var lastSeen: Date
    /// The highest report sequence number stored for the device (0: none yet).
    public var lastSequence: Int64
    public var reportCount: Int64

    public init(mac: String, serial: String? = nil, model: String? = nil, hostname: String? = nil, osVersion: String? = nil,
                enrolledAt: Date, updatedAt: Date, lastSeen: Date, lastSequence: Int64 = 0, reportCount: Int64 = 0) {
        self.mac = mac
        self.serial = serial
        self.model = model
        self.hostname = hostname
        self.osVersion = osVersion
        self.enrolledAt = enrolledAt
        self.updatedAt = updatedAt
        self.lastSeen = lastSeen
        self.lastSequence = lastSequence
        self.reportCount = reportCount
    }

    enum CodingKeys: String, CodingKey {
        case mac, serial, model, hostname
        case osVersion = "os_version"
        case enrolledAt = "enrolled_at"
        case updatedAt = "updated_at"
        case lastSeen = "last_seen"
        case lastSequence = "last_sequence"
        case reportCount = "report_count"
    }
}

/// One stored report, as the console reads it back.
public struct StoredReport: Hashable, Sendable {
    public var mac: String
    public var sequence: Int64
    public var kind: ReportKind
    /// The canonical JSON `{"data": …, "kind": …}`.
    public var body: Data
    public var receivedAt: Date

    public init(mac: String, sequence: Int64, kind: ReportKind, body: Data, receivedAt: Date) {
        self.mac = mac
        self.sequence = sequence
        self.kind = kind
        self.body = body
        self.receivedAt = receivedAt
    }
}

/// One line of the audit log: who (token id and role, or `cli`) did what to what, and whether
/// it was allowed. Never holds a token's text.
public struct AuditEntry: Hashable, Sendable, Codable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var role: String
    public var action: String
    public var target: String
    public var outcome: String

    public init(id: Int64 = 0, at: Date, actor: String, role: String, action: String, target: String, outcome: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.outcome = outcome
    }
}
