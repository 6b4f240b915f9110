import Foundation

/// `POST /v1/runs` on the client port (issue 16 §6): the machine asks to start a run of one of
/// the sequences deployed to it. Model and serial refine the collections it falls in.
public struct RunStartRequest: Equatable, Sendable {
    public var sequence: String
    public var model: String?
    public var serial: String?

    public init(sequence: String, model: String? = nil, serial: String? = nil) {
        self.sequence = sequence
        self.model = model
        self.serial = serial
    }

    public static func decode(_ body: Data) throws(RequestBodyError) -> RunStartRequest {
        var fields = try RequestFields.object(body)
        let request = RunStartRequest(sequence: try fields.requiredString("sequence", maxLength: 255),
                                      model: try fields.string("model", maxLength: 128),
                                      serial: try fields.string("serial", maxLength: 64))
        try fields.finish()
        return request
    }
}

/// One step event of a run (`POST /v1/runs/{id}/events`), with the client's next run-event
/// sequence number (from 1, per client, across runs). Sent again after a lost answer, the same
/// event is acknowledged once and stored once (``ReportAdmission``, as reports).
///
/// - `start` and `finish` pair by `step` (the instruction's pointer); a finish carries its
///   `result` (`success`, `failed`, `skipped`) and may carry `exit_code` and `message`;
/// - `progress`: `bytes` written so far, and `total`, `rate` (bytes/s), `eta` (s) when known;
/// - `log`: one line of the executor's log, `text`.
///
/// `at_ms` is when it happened on the machine (milliseconds since 1970): queued events keep
/// their own time.
public struct RunEvent: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable, Codable { case start, finish, progress, log }
    public enum Result: String, CaseIterable, Sendable, Codable { case success, failed, skipped }

    public var sequence: Int64
    public var kind: Kind
    public var step: Int64
    public var name: String
    public var atMilliseconds: Int64
    public var result: Result?
    public var exitCode: Int64?
    public var message: String?
    public var bytes: Int64?
    public var total: Int64?
    public var rate: Int64?
    public var eta: Int64?
    public var text: String?

    public init(sequence: Int64, kind: Kind, step: Int64, name: String, atMilliseconds: Int64, result: Result? = nil,
                exitCode: Int64? = nil, message: String? = nil, bytes: Int64? = nil, total: Int64? = nil, rate: Int64? = nil,
                eta: Int64? = nil, text: String? = nil) {
        self.sequence = sequence
        self.kind = kind
        self.step = step
        self.name = name
        self.atMilliseconds = atMilliseconds
        self.result = result
        self.exitCode = exitCode
        self.message = message
        self.bytes = bytes
        self.total = total
        self.rate = rate
        self.eta = eta
        self.text = text
    }

    static let counts: ClosedRange<Int64> = 0...(1 << 53)

    public static func decode(_ body: Data) throws(RequestBodyError) -> RunEvent {
        var fields = try RequestFields.object(body)
        let sequence = try fields.requiredInteger("sequence", in: 1...(1 << 53))
        guard let kind = try fields.word("kind", as: Kind.self) else { throw RequestBodyError(field: "kind", problem: "missing") }
        var event = RunEvent(sequence: sequence, kind: kind, step: try fields.requiredInteger("step", in: 0...1_000_000),
                             name: try fields.requiredString("name", maxLength: 255),
                             atMilliseconds: try fields.requiredInteger("at_ms", in: counts))
        event.result = try fields.word("result", as: Result.self)
        event.exitCode = try fields.integer("exit_code", in: -(1 << 31)...(1 << 32))
        event.message = try fields.string("message", maxLength: 4096)
        event.bytes = try fields.integer("bytes", in: counts)
        event.total = try fields.integer("total", in: counts)
        event.rate = try fields.integer("rate", in: counts)
        event.eta = try fields.integer("eta", in: counts)
        event.text = try fields.string("text", maxLength: 4096)
        try fields.finish()
        func only(_ field: String, _ present: Bool, _ kinds: Set<Kind>) throws(RequestBodyError) {
            if present, !kinds.contains(kind) {
                throw RequestBodyError(field: field, problem: "not allowed with kind \(kind.rawValue)")
            }
        }
        try only("result", event.result != nil, [.finish])
        try only("exit_code", event.exitCode != nil, [.finish])
        try only("message", event.message != nil, [.finish])
        try only("bytes", event.bytes != nil, [.progress])
        try only("total", event.total != nil, [.progress])
        try only("rate", event.rate != nil, [.progress])
        try only("eta", event.eta != nil, [.progress])
        try only("text", event.text != nil, [.log])
        switch kind {
        case .finish where event.result == nil: throw RequestBodyError(field: "result", problem: "missing (required when kind is finish)")
        case .progress where event.bytes == nil: throw RequestBodyError(field: "bytes", problem: "missing (required when kind is progress)")
        case .log where event.text == nil: throw RequestBodyError(field: "text", problem: "missing (required when kind is log)")
        default: break
        }
        return event
    }

    /// The event as stored and digested: every field but `sequence`, keys sorted.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue), "step": .number(Double(step)), "name": .string(name),
                                           "at_ms": .number(Double(atMilliseconds))]
        if let result { object["result"] = .string(result.rawValue) }
        let numbers: [(String, Int64?)] = [("exit_code", exitCode), ("bytes", bytes), ("total", total), ("rate", rate), ("eta", eta)]
        for (key, value) in numbers { if let value { object[key] = .number(Double(value)) } }
        if let message { object["message"] = .string(message) }
        if let text { object["text"] = .string(text) }
        return .object(object)
    }

    public var digest: ReportDigest { ReportDigest(canonical: json.canonicalJSON) }

    /// Reads a stored event back (the inverse of ``json``); nil for a row it cannot read.
    public static func stored(sequence: Int64, _ value: JSONValue) -> RunEvent? {
        var body = value
        guard case var .object(object) = body else { return nil }
        object["sequence"] = .number(Double(sequence))
        body = .object(object)
        return try? decode(body.canonicalJSON)
    }
}

/// `POST /v1/runs/{id}/finish`: the run's outcome. Sent again with the same outcome, it is
/// answered again; another outcome for a finished run is a 409.
public struct RunFinishRequest: Equatable, Sendable {
    public enum Outcome: String, CaseIterable, Sendable, Codable { case succeeded, failed }
    public var outcome: Outcome
    public var atMilliseconds: Int64

    public init(outcome: Outcome, atMilliseconds: Int64) {
        self.outcome = outcome
        self.atMilliseconds = atMilliseconds
    }

    public static func decode(_ body: Data) throws(RequestBodyError) -> RunFinishRequest {
        var fields = try RequestFields.object(body)
        guard let outcome = try fields.word("outcome", as: Outcome.self) else { throw RequestBodyError(field: "outcome", problem: "missing") }
        let request = RunFinishRequest(outcome: outcome, atMilliseconds: try fields.requiredInteger("at_ms", in: RunEvent.counts))
        try fields.finish()
        return request
    }
}

/// `POST /v1/deployments` on the console port: deploy a sequence to a collection (stored in
/// the bridge store, merged with the inventory's `deployments:`).
public struct DeploymentRequest: Equatable, Sendable {
    public var sequence: String
    public var collection: String

    public init(sequence: String, collection: String) {
        self.sequence = sequence
        self.collection = collection
    }

    public static func decode(_ body: Data) throws(RequestBodyError) -> DeploymentRequest {
        var fields = try RequestFields.object(body)
        let request = DeploymentRequest(sequence: try fields.requiredString("sequence", maxLength: 255),
                                        collection: try fields.requiredString("collection", maxLength: 255))
        try fields.finish()
        return request
    }
}
