import Foundation
import NetbootWire

/// `POST /v1/enroll` on the client port (seed-catalog C35): who the machine is. The MAC is the
/// device's key; the rest is what the seed's enrollment wizard records.
public struct EnrollmentRequest: Equatable, Sendable {
    public var mac: MACAddress
    public var serial: String?
    public var model: String?
    public var hostname: String?
    public var osVersion: String?

    public init(mac: MACAddress, serial: String? = nil, model: String? = nil, hostname: String? = nil, osVersion: String? = nil) {
        self.mac = mac
        self.serial = serial
        self.model = model
        self.hostname = hostname
        self.osVersion = osVersion
    }

    public static func decode(_ body: Data) throws(RequestBodyError) -> EnrollmentRequest {
        var fields = try RequestFields.object(body)
        let text = try fields.requiredString("mac", maxLength: 17)
        guard let mac = MACAddress(text) else {
            throw RequestBodyError(field: "mac", problem: "expected a MAC address (aa:bb:cc:dd:ee:ff)")
        }
        let request = EnrollmentRequest(mac: mac, serial: try fields.string("serial", maxLength: 64),
                                        model: try fields.string("model", maxLength: 128),
                                        hostname: try fields.string("hostname", maxLength: 253),
                                        osVersion: try fields.string("os_version", maxLength: 64))
        try fields.finish()
        return request
    }
}

/// What a client reports (`POST /v1/reports`): one event with its per-client sequence number.
public enum ReportKind: String, CaseIterable, Codable, Sendable {
    /// A task-sequence step started or finished (paired by `run` and `step`).
    case status
    /// Hardware and software facts: a flat object of strings, numbers and booleans.
    case inventory
    /// A log file upload: `name` and `text`.
    case log
}

/// A client report as sent: `{"sequence": n, "kind": …, "data": {…}}`. `sequence` counts from
/// 1 per client; a report sent again with the same number is acknowledged once and stored once
/// (``ReportAdmission``).
public struct ClientReport: Equatable, Sendable {
    public static let maxLogBytes = 1 << 20

    public var sequence: Int64
    public var kind: ReportKind
    /// The checked data, as sent.
    public var data: JSONValue

    public init(sequence: Int64, kind: ReportKind, data: JSONValue) {
        self.sequence = sequence
        self.kind = kind
        self.data = data
    }

    /// `{"kind": …, "data": …}` with sorted keys: what is stored, digested and forwarded.
    public var canonicalJSON: Data {
        JSONValue.object(["kind": .string(kind.rawValue), "data": data]).canonicalJSON
    }

    public enum Phase: String, CaseIterable, Sendable { case start, finish }
    public enum Result: String, CaseIterable, Sendable { case success, failed, skipped }

    public static func decode(_ body: Data) throws(RequestBodyError) -> ClientReport {
        var fields = try RequestFields.object(body)
        let sequence = try fields.requiredInteger("sequence", in: 1...(1 << 53))
        guard let kind = try fields.word("kind", as: ReportKind.self) else {
            throw RequestBodyError(field: "kind", problem: "missing")
        }
        guard var data = try fields.object("data") else { throw RequestBodyError(field: "data", problem: "missing") }
        try fields.finish()
        switch kind {
        case .status:
            _ = try data.requiredString("run", maxLength: 128)
            _ = try data.requiredString("step", maxLength: 255)
            _ = try data.string("group", maxLength: 255)
            guard let phase = try data.word("phase", as: Phase.self) else {
                throw RequestBodyError(field: "data.phase", problem: "missing")
            }
            let result = try data.word("result", as: Result.self)
            if phase == .finish, result == nil { throw RequestBodyError(field: "data.result", problem: "missing (required when phase is finish)") }
            if phase == .start, result != nil { throw RequestBodyError(field: "data.result", problem: "only allowed when phase is finish") }
            _ = try data.string("message", maxLength: 4096)
            try data.finish()
        case .inventory:
            guard data.object.count <= 512 else { throw RequestBodyError(field: "data", problem: "more than 512 facts") }
            for key in data.object.keys.sorted() {
                guard key.utf8.count <= 128 else { throw RequestBodyError(field: "data", problem: "a fact name is longer than 128 bytes") }
                switch data.raw(key) {
                case .string(let text)? where text.utf8.count > 4096:
                    throw RequestBodyError(field: data.name(key), problem: "longer than 4096 bytes")
                case .string?, .number?, .bool?, nil: break
                case let other?:
                    throw RequestBodyError(field: data.name(key), problem: "expected a string, number or boolean, found \(other.kindName)")
                }
            }
        case .log:
            _ = try data.requiredString("name", maxLength: 255)
            _ = try data.requiredString("text", maxLength: maxLogBytes)
            try data.finish()
        }
        return ClientReport(sequence: sequence, kind: kind, data: .object(data.object))
    }
}

/// `POST /v1/tokens` on the console port: the role, an optional lifetime and label.
public struct TokenIssueRequest: Equatable, Sendable {
    public static let maxTTL: Int64 = 366 * 86400
    public var role: BridgeRole
    public var ttlSeconds: Int64?
    public var label: String

    public init(role: BridgeRole, ttlSeconds: Int64?, label: String) {
        self.role = role
        self.ttlSeconds = ttlSeconds
        self.label = label
    }

    public static func decode(_ body: Data) throws(RequestBodyError) -> TokenIssueRequest {
        var fields = try RequestFields.object(body)
        guard let role = try fields.word("role", as: BridgeRole.self) else {
            throw RequestBodyError(field: "role", problem: "missing")
        }
        let ttl = try fields.integer("ttl_seconds", in: 1...maxTTL)
        let label = try fields.string("label", maxLength: 128) ?? ""
        try fields.finish()
        return TokenIssueRequest(role: role, ttlSeconds: ttl, label: label)
    }
}
