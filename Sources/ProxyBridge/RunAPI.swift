import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import NetbootStore
import TaskSequence

/// BridgeCore's, not TaskSequence's (both modules name one), in every file of this module.
typealias JSONValue = BridgeCore.JSONValue

/// The run routes of both ports (issue 16 §6, docs/bridge.md "Runs"): on the client port a
/// machine lists the sequences deployed to it, starts a run (getting the sequence and its
/// variables resolved for it, secrets included — only here, over its authenticated channel,
/// never stored), posts step events and finishes; on the console port admins deploy a
/// sequence to a collection and read runs. Who may call was decided by ``RoleMiddleware``.
struct RunAPI: Sendable {
    let store: any BridgeRecords
    let catalog: SequenceCatalog
    let audit: AuditTrail
    let maxBodyBytes: Int
    let now: @Sendable () -> Date
    /// Run events are committed in groups, as reports are.
    let events: GroupCommit<RunEventSubmission, RunEventAdmission>

    /// Where the appliance's HTTP image server serves the disk-image catalog, told to runners
    /// in the start and plan answers (`image_server`); nil when it does not.
    let imageServer: ImageServerLocation?

    init(store: any BridgeRecords, catalog: SequenceCatalog, audit: AuditTrail, maxBodyBytes: Int, imageServer: ImageServerLocation? = nil,
         now: @escaping @Sendable () -> Date) {
        self.imageServer = imageServer
        self.store = store
        self.catalog = catalog
        self.audit = audit
        self.maxBodyBytes = maxBodyBytes
        self.now = now
        events = GroupCommit(label: "netboot.bridge.run-events") { batch in try store.submitRunEvents(batch, now: now()) }
    }

    var clientHandlers: [String: BridgeRouter.Handler] {
        ["listDeployedSequences": listDeployedSequences, "startRun": startRun, "getRunPlan": getRunPlan, "postRunEvent": postRunEvent,
         "finishRun": finishRun]
    }

    var consoleHandlers: [String: BridgeRouter.Handler] {
        ["deploySequence": deploySequence, "listDeployments": listDeployments, "listAllRuns": listAllRuns, "getRun": getRun]
    }

    // MARK: client port

    /// The machine as the plan sees it: its MAC (from its token), model and serial (from its
    /// enrollment, or the request).
    private func machine(_ mac: String, model: String? = nil, serial: String? = nil) throws -> Inventory.Machine {
        let device = try store.device(mac: mac)
        return Inventory.Machine(mac: mac, model: model ?? device?.model, serial: serial ?? device?.serial)
    }

    @Sendable func listDeployedSequences(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let mac = context.caller?.deviceMAC else { throw BridgeError.forbidden }
        let (store, catalog) = (store, catalog)
        let machine = try machine(mac)
        let loaded = try await Blocking.run { try catalog.load(store: store) }
        let collections = loaded.inventory.collections(for: machine).map(\.name)
        let sequences = loaded.deployed(to: machine).map { entry -> JSONValue in
            .object(["name": .string(entry.sequence.definition.name), "file": .string(entry.sequence.file),
                     "collections": .array(entry.collections.map(JSONValue.string))])
        }
        return JSONBody.response(status: .ok, .object([
            "mac": .string(mac), "platform": .string(machine.platform.rawValue),
            "collections": .array(collections.map(JSONValue.string)), "sequences": .array(sequences),
        ]))
    }

    @Sendable func startRun(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let mac = context.caller?.deviceMAC else { throw BridgeError.forbidden }
        let body = try await request.collectBody(limit: maxBodyBytes)
        let start: RunStartRequest
        do { start = try RunStartRequest.decode(body) } catch { throw BridgeError.badRequest(error) }
        let (store, catalog) = (store, catalog)
        let machine = try machine(mac, model: start.model, serial: start.serial)
        let loaded = try await Blocking.run { try catalog.load(store: store) }
        guard let entry = loaded.deployed(to: machine).first(where: { $0.sequence.keys.contains(start.sequence.lowercased()) }) else {
            throw BridgeError(status: .notFound, message: "no sequence '\(start.sequence)' is deployed to this machine", field: "sequence")
        }
        let instant = now()
        let milliseconds = Int64((instant.timeIntervalSince1970 * 1000).rounded())
        let definition = entry.sequence.definition
        let plan = Planner.plan(definition, inventory: loaded.inventory, machine: machine, sequenceKeys: Array(entry.sequence.keys))
        let steps = plan.steps.filter { $0.kind == "step" }.map {
            RunRecord.PlannedStep(pointer: Int64($0.pointer), name: $0.name, type: $0.type)
        }
        let record = RunRecord(id: UUID().uuidString.lowercased(), mac: mac, sequence: definition.name, steps: steps,
                               startedAtMilliseconds: milliseconds)
        try await Blocking.run { try store.insertRun(record) }
        audit.logger.notice("run \(record.id) of '\(definition.name)' started by \(mac)")
        return try compiled(record, entry.sequence, loaded: loaded, machine: machine, status: .created)
    }

    /// The run again, for `netboot-runner resume`: the appliance's view of its steps (to
    /// reconcile with the journal) and the sequence and variables as at the start.
    @Sendable func getRunPlan(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let mac = context.caller?.deviceMAC else { throw BridgeError.forbidden }
        let (store, catalog) = (store, catalog)
        guard let record = try store.run(id: context.parameters.get("id") ?? ""), record.mac == mac else { throw BridgeError.notFound }
        let machine = try machine(mac)
        let loaded = try await Blocking.run { try catalog.load(store: store) }
        guard let sequence = loaded.sequence(named: record.sequence) else {
            throw BridgeError(status: .notFound, message: "the sequence '\(record.sequence)' is no longer in the sequences folder", field: nil)
        }
        return try compiled(record, sequence, loaded: loaded, machine: machine, status: .ok)
    }

    /// The answer of start and plan: the run, the sequence's text, its variables resolved for
    /// the machine (built-in < collection < device < sequence; secrets revealed, only here),
    /// the plan (secrets as `***`) and the client's next event sequence number.
    private func compiled(_ record: RunRecord, _ sequence: SequenceCatalog.Sequence, loaded: SequenceCatalog.Loaded,
                          machine: Inventory.Machine, status: HTTPResponse.Status) throws -> Response {
        let definition = sequence.definition
        let plan = Planner.plan(definition, inventory: loaded.inventory, machine: machine, sequenceKeys: Array(sequence.keys))
        let environment = Planner.environment(definition, inventory: loaded.inventory, machine: machine)
        var variables: [JSONValue] = []
        for name in environment.names {
            guard case let .value(value, layer) = environment.lookup(name) else { continue }
            variables.append(.object(["name": .string(name.spelling), "value": .string(value.reveal()),
                                      "layer": .string(layer.description), "secret": .bool(value.isSecret)]))
        }
        let planJSON = JSONValue.parse(try RunJSON.encoder.encode(plan)) ?? .null
        let view = RunView.fold(record, events: try store.runEvents(id: record.id),
                                nowMilliseconds: Int64((now().timeIntervalSince1970 * 1000).rounded()))
        return JSONBody.response(status: status, .object([
            "run": RunJSON.value(view), "sequence": .string(definition.name), "file": .string(sequence.file),
            "source": .string(sequence.text), "variables": .array(variables),
            "prompted": .array(plan.prompted.map(JSONValue.string)), "plan": planJSON,
            "next_event_sequence": .number(Double(try store.lastRunEventSequence(mac: record.mac) + 1)),
        ].merging(imageServer.map { ["image_server": $0.json] } ?? [:]) { a, _ in a }))
    }

    @Sendable func postRunEvent(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let mac = context.caller?.deviceMAC else { throw BridgeError.forbidden }
        let id = context.parameters.get("id") ?? ""
        let body = try await request.collectBody(limit: maxBodyBytes)
        let event: RunEvent
        do { event = try RunEvent.decode(body) } catch { throw BridgeError.badRequest(error) }
        switch try await events.submit(RunEventSubmission(event: event, runID: id, mac: mac)) {
        case .unknownRun:
            throw BridgeError.notFound
        case .finished:
            throw BridgeError(status: .conflict, message: "run \(id) has finished", field: nil)
        case .stored(.conflict):
            throw BridgeError(status: .conflict, message: "sequence \(event.sequence) was used for another event", field: "sequence")
        case .stored(let admission):
            return JSONBody.response(status: .accepted, .object(["sequence": .number(Double(event.sequence)),
                                                                 "duplicate": .bool(admission == .duplicate)]))
        }
    }

    @Sendable func finishRun(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let mac = context.caller?.deviceMAC else { throw BridgeError.forbidden }
        let id = context.parameters.get("id") ?? ""
        let body = try await request.collectBody(limit: maxBodyBytes)
        let finish: RunFinishRequest
        do { finish = try RunFinishRequest.decode(body) } catch { throw BridgeError.badRequest(error) }
        let store = store
        switch try await Blocking.run({ try store.finishRun(id: id, mac: mac, outcome: finish.outcome, atMilliseconds: finish.atMilliseconds) }) {
        case .unknownRun:
            throw BridgeError.notFound
        case .conflict(let run):
            throw BridgeError(status: .conflict, message: "run \(id) has already finished: \(run.state)", field: "outcome")
        case .finished(let run):
            audit.logger.notice("run \(id) of '\(run.sequence)' finished by \(mac): \(run.state)")
            return try await view(run, status: .ok)
        }
    }

    // MARK: console port

    @Sendable func deploySequence(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller else { throw BridgeError.unauthorized }
        let body = try await request.collectBody(limit: maxBodyBytes)
        let deployment: DeploymentRequest
        do { deployment = try DeploymentRequest.decode(body) } catch { throw BridgeError.badRequest(error) }
        let (store, catalog, instant) = (store, catalog, now())
        let loaded = try await Blocking.run { try catalog.load(store: store) }
        guard let sequence = loaded.sequence(named: deployment.sequence) else {
            throw BridgeError(status: .badRequest, message: "field 'sequence': no sequence '\(deployment.sequence)' in the sequences folder",
                              field: "sequence")
        }
        guard loaded.inventory.collections.contains(where: { $0.name == deployment.collection }) else {
            throw BridgeError(status: .badRequest, message: "field 'collection': no collection '\(deployment.collection)' in the inventory",
                              field: "collection")
        }
        let name = sequence.definition.name
        let added = try await Blocking.run {
            try store.addDeployment(sequence: name, collection: deployment.collection, actor: caller.id, now: instant)
        }
        await audit.record(actor: caller, action: "sequence.deploy", target: "\(name) → \(deployment.collection)", outcome: "allowed", at: instant)
        return JSONBody.response(status: added ? .created : .ok, .object([
            "sequence": .string(name), "collection": .string(deployment.collection), "created": .bool(added),
        ]))
    }

    @Sendable func listDeployments(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let (store, catalog) = (store, catalog)
        let loaded = try await Blocking.run { try catalog.load(store: store) }
        let stored = try store.deployments()
        let list = loaded.deployments.map { pair -> JSONValue in
            let console = stored.contains { $0.sequence == pair.sequence && $0.collection == pair.collection }
                && !loaded.inventory.deployments.contains { $0.sequence == pair.sequence && $0.collection == pair.collection }
            return .object(["sequence": .string(pair.sequence), "collection": .string(pair.collection),
                            "source": .string(console ? "console" : "inventory"),
                            "found": .bool(loaded.sequence(named: pair.sequence) != nil)])
        }
        return JSONBody.response(status: .ok, .object(["deployments": .array(list)]))
    }

    @Sendable func listAllRuns(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let limit = try ConsoleAPI.query(request, "limit", in: 1...1000) ?? 100
        var views: [JSONValue] = []
        let milliseconds = Int64((now().timeIntervalSince1970 * 1000).rounded())
        for run in try store.runs(limit: Int(limit)) {
            var view = RunView.fold(run, events: try store.runEvents(id: run.id), nowMilliseconds: milliseconds)
            view.steps = []
            views.append(RunJSON.value(view))
        }
        return JSONBody.response(status: .ok, .object(["runs": .array(views)]))
    }

    @Sendable func getRun(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let run = try store.run(id: context.parameters.get("id") ?? "") else { throw BridgeError.notFound }
        return try await view(run, status: .ok)
    }

    private func view(_ run: RunRecord, status: HTTPResponse.Status) async throws -> Response {
        let milliseconds = Int64((now().timeIntervalSince1970 * 1000).rounded())
        let view = RunView.fold(run, events: try store.runEvents(id: run.id), nowMilliseconds: milliseconds)
        return JSONBody.response(status: status, RunJSON.value(view))
    }
}

/// Runs as JSON: snake_case keys, as every bridge answer.
public enum RunJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func value(_ view: RunView) -> BridgeCore.JSONValue {
        (try? encoder.encode(view)).flatMap(JSONValue.parse) ?? .null
    }

    /// The document `netboot ts runs show --json` prints.
    public static func pretty(_ value: some Encodable) throws -> String {
        let encoder = encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
