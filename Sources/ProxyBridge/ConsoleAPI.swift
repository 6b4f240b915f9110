import BootServices
import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import NetbootStore

/// The handlers of the console port (8760): devices, reports, leases, tokens, audit. Who may
/// call each was decided by ``RoleMiddleware``; every change is written to the audit log.
struct ConsoleAPI: Sendable {
    let store: any BridgeRecords
    let audit: AuditTrail
    /// The appliance's state directory, for `netboot.sqlite` (leases).
    let stateDirectory: String
    let maxBodyBytes: Int
    let now: @Sendable () -> Date

    var handlers: [String: BridgeRouter.Handler] {
        ["bridgeStatus": bridgeStatus, "listDevices": listDevices, "getDevice": getDevice, "listReports": listReports, "listRuns": listRuns,
         "listLeases": listLeases, "listTokens": listTokens, "issueToken": issueToken, "revokeToken": revokeToken,
         "listAudit": listAudit]
    }

    @Sendable func bridgeStatus(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let outbox = try store.outboxCounts()
        let tokens = try store.tokens()
        let instant = now()
        return JSONBody.response(status: .ok, .object([
            "devices": .number(Double(try store.deviceCount())),
            "tokens_active": .number(Double(tokens.filter { $0.state(at: instant) == .active }.count)),
            "outbox": .object(["pending": .number(Double(outbox.pending)), "delivered": .number(Double(outbox.delivered)),
                               "rejected": .number(Double(outbox.rejected))]),
        ]))
    }

    @Sendable func listDevices(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        JSONBody.response(encoding: ["devices": try store.devices()])
    }

    @Sendable func getDevice(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let device = try store.device(mac: try Self.mac(context)) else { throw BridgeError.notFound }
        return JSONBody.response(encoding: device)
    }

    @Sendable func listReports(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let mac = try Self.mac(context)
        guard try store.device(mac: mac) != nil else { throw BridgeError.notFound }
        let after = try Self.query(request, "after", in: 0...Int64(1 << 53)) ?? 0
        let limit = try Self.query(request, "limit", in: 1...1000) ?? 100
        let reports = try store.reports(mac: mac, after: after, limit: Int(limit)).map { report -> JSONValue in
            let body = JSONValue.parse(report.body) ?? .null
            var object: [String: JSONValue] = ["sequence": .number(Double(report.sequence)), "kind": .string(report.kind.rawValue),
                                               "received_at": .string(report.receivedAt.formatted(.iso8601))]
            if case let .object(stored) = body { object["data"] = stored["data"] ?? .null }
            return .object(object)
        }
        return JSONBody.response(status: .ok, .object(["reports": .array(reports)]))
    }

    @Sendable func listRuns(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let mac = try Self.mac(context)
        guard try store.device(mac: mac) != nil else { throw BridgeError.notFound }
        var events: [(sequence: Int64, data: JSONValue)] = []
        var after: Int64 = 0
        while true {
            let page = try store.reports(mac: mac, after: after, limit: 1000)
            for report in page where report.kind == .status {
                if case let .object(body)? = JSONValue.parse(report.body), let data = body["data"] {
                    events.append((report.sequence, data))
                }
            }
            guard let last = page.last, page.count == 1000, events.count < 100_000 else { break }
            after = last.sequence
        }
        return JSONBody.response(encoding: ["runs": RunProgress.fold(events)])
    }

    @Sendable func listLeases(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let path = (stateDirectory as NSString).appendingPathComponent(SQLiteStore.fileName)
        var leases: [JSONValue] = []
        if FileManager.default.fileExists(atPath: path) {
            let instant = now()
            leases = try SQLiteStore(path: path, readOnly: true).allLeases().map { lease in
                .object(["address": .string(lease.address.description), "mac": .string(lease.mac.description),
                         "hostname": lease.hostname.map(JSONValue.string) ?? .null,
                         "state": .string(lease.state == .bound && !lease.isActive(at: instant) ? "expired" : lease.state.rawValue),
                         "expires": .string(lease.expires.formatted(.iso8601))])
            }
        }
        return JSONBody.response(status: .ok, .object(["leases": .array(leases)]))
    }

    @Sendable func listTokens(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let instant = now()
        return JSONBody.response(encoding: ["tokens": try store.tokens().map { TokenListing(record: $0, now: instant) }])
    }

    @Sendable func issueToken(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller else { throw BridgeError.unauthorized }
        let body = try await request.collectBody(limit: maxBodyBytes)
        let issue: TokenIssueRequest
        do { issue = try TokenIssueRequest.decode(body) } catch { throw BridgeError.badRequest(error) }
        let instant = now()
        guard TokenIssuePolicy.may(caller.role, issue: issue.role) else {
            await audit.record(actor: caller, action: "token.issue", target: issue.role.rawValue, outcome: "forbidden", at: instant)
            throw BridgeError.forbidden
        }
        let store = store
        let (token, record) = try await Blocking.run {
            try store.issueToken(role: issue.role, label: issue.label, ttl: issue.ttlSeconds.map(TimeInterval.init), now: instant)
        }
        await audit.record(actor: caller, action: "token.issue", target: "\(record.role.rawValue) \(record.id)", outcome: "allowed", at: instant)
        var listing = TokenListing(record: record, now: instant)
        listing.token = token.text
        return JSONBody.response(status: .created, encoding: listing)
    }

    @Sendable func revokeToken(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller else { throw BridgeError.unauthorized }
        let id = context.parameters.get("id") ?? ""
        let instant = now()
        let store = store
        guard let record = try await Blocking.run({ try store.revokeToken(id: id, now: instant) }) else { throw BridgeError.notFound }
        await audit.record(actor: caller, action: "token.revoke", target: record.id, outcome: "allowed", at: instant)
        return JSONBody.response(encoding: TokenListing(record: record, now: instant))
    }

    @Sendable func listAudit(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let before = try Self.query(request, "before", in: 1...Int64.max)
        let limit = try Self.query(request, "limit", in: 1...1000) ?? 100
        return JSONBody.response(encoding: ["audit": try store.audit(before: before, limit: Int(limit))])
    }

    static func mac(_ context: BridgeRequestContext) throws -> String {
        guard let text = context.parameters.get("mac"), let mac = MACText.normalized(text) else { throw BridgeError.notFound }
        return mac
    }

    static func query(_ request: Request, _ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw BridgeError(status: .badRequest, message: "query '\(name)': expected an integer in \(range.lowerBound)...\(range.upperBound)",
                              field: name)
        }
        return value
    }
}

/// A token as lists show it: id, role, label, times and state, never its text, except once in
/// the answer to its issue (`token`).
public struct TokenListing: Codable, Sendable {
    public var id: String
    public var role: String
    public var label: String
    public var state: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var deviceMAC: String?
    public var token: String?

    public init(record: TokenRecord, now: Date) {
        id = record.id
        role = record.role.rawValue
        label = record.label
        state = record.state(at: now).rawValue
        createdAt = record.createdAt
        expiresAt = record.expiresAt
        deviceMAC = record.deviceMAC
    }

    enum CodingKeys: String, CodingKey {
        case id, role, label, state, token
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case deviceMAC = "device_mac"
    }
}
