import BridgeCore

/// The run routes' rows of ``BridgeRoute`` (issue 16 §6): listed here, registered, checked
/// and documented with the rest through ``BridgeRoute/all``.
extension BridgeRoute {
    public static let runs: [BridgeRoute] = [
        BridgeRoute(port: .client, method: "GET", path: "/v1/sequences", scope: .runsWrite, operation: "listDeployedSequences",
                    summary: "The task sequences deployed to the calling machine (its collections from the inventory; "
                        + "unknown machines fall into Unknown Computers or Unknown Mac OS X Systems).",
                    responses: [200: "The machine's collections and deployed sequences.", 401: "No live client token.",
                                403: "Not a client token."]),
        BridgeRoute(port: .client, method: "POST", path: "/v1/runs", scope: .runsWrite, operation: "startRun",
                    summary: "Start a run of a deployed sequence: its id, the sequence, its variables resolved for this machine "
                        + "(built-in < collection < device < sequence; secrets only in this answer) and the plan.",
                    requestSchema: "RunStartRequest",
                    responses: [201: "Started; stored before this answer.", 400: "A field is wrong.", 401: "No live client token.",
                                403: "Not a client token.", 404: "No such sequence deployed to this machine.", 413: "Body too large."]),
        BridgeRoute(port: .client, method: "GET", path: "/v1/runs/{id}/plan", scope: .runsWrite, operation: "getRunPlan",
                    summary: "One of this machine's runs again, for resume: the appliance's view of its steps, the sequence, "
                        + "its variables (secrets only in this answer) and the plan.",
                    responses: [200: "The run and its plan.", 401: "No live client token.", 403: "Not a client token.",
                                404: "No such run of this machine, or its sequence is gone."]),
        BridgeRoute(port: .client, method: "POST", path: "/v1/runs/{id}/events", scope: .runsWrite, operation: "postRunEvent",
                    summary: "A step event (start, finish, progress, log) with the client's next run-event sequence number.",
                    requestSchema: "RunEvent",
                    responses: [202: "Stored (or already stored: duplicate true); durable before this answer.",
                                400: "A field is wrong.", 401: "No live client token.", 403: "Not a client token.",
                                404: "No such run of this machine.",
                                409: "The sequence number was used for another event, or the run has finished.", 413: "Body too large."]),
        BridgeRoute(port: .client, method: "POST", path: "/v1/runs/{id}/finish", scope: .runsWrite, operation: "finishRun",
                    summary: "Finish a run with its outcome (the same outcome again is answered again).",
                    requestSchema: "RunFinishRequest",
                    responses: [200: "The finished run.", 400: "A field is wrong.", 401: "No live client token.",
                                403: "Not a client token.", 404: "No such run of this machine.",
                                409: "The run has finished with another outcome.", 413: "Body too large."]),
        BridgeRoute(port: .console, method: "POST", path: "/v1/deployments", scope: .sequencesDeploy, operation: "deploySequence",
                    summary: "Deploy a task sequence to a collection (kept beside the inventory's deployments).",
                    requestSchema: "DeploymentRequest",
                    responses: [200: "It was deployed there already.", 201: "Deployed.", 400: "No such sequence or collection.",
                                401: "No live token.", 403: "Wrong role."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/deployments", scope: .runsRead, operation: "listDeployments",
                    summary: "Every deployment: the inventory's and the console's.",
                    responses: [200: "Deployments.", 401: "No live token.", 403: "Wrong role."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/runs", scope: .runsRead, operation: "listAllRuns",
                    summary: "Runs, newest first: step x of y, current step, progress, elapsed time, outcome.",
                    responses: [200: "Runs.", 401: "No live token.", 403: "Wrong role."], query: ["limit"]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/runs/{id}", scope: .runsRead, operation: "getRun",
                    summary: "One run with every step, its times and result.",
                    responses: [200: "The run.", 401: "No live token.", 403: "Wrong role.", 404: "No such run."]),
    ]
}

extension OpenAPIDocument {
    /// The request schemas of the run routes.
    static func runSchemas(for port: BridgeRoute.Port) -> [String: JSONValue] {
        let integer: JSONValue = .object(["type": .string("integer"), "minimum": .number(0)])
        switch port {
        case .client:
            return [
                "RunStartRequest": object(["sequence": string(255), "model": string(128), "serial": string(64)], required: ["sequence"]),
                "RunEvent": object([
                    "sequence": .object(["type": .string("integer"), "minimum": .number(1)]),
                    "kind": .object(["enum": .array(RunEvent.Kind.allCases.map { .string($0.rawValue) })]),
                    "step": integer, "name": string(255), "at_ms": integer,
                    "result": .object(["enum": .array(RunEvent.Result.allCases.map { .string($0.rawValue) })]),
                    "exit_code": .object(["type": .string("integer")]), "message": string(4096),
                    "bytes": integer, "total": integer, "rate": integer, "eta": integer, "text": string(4096),
                ], required: ["sequence", "kind", "step", "name", "at_ms"]),
                "RunFinishRequest": object([
                    "outcome": .object(["enum": .array(RunFinishRequest.Outcome.allCases.map { .string($0.rawValue) })]),
                    "at_ms": integer,
                ], required: ["outcome", "at_ms"]),
            ]
        case .console:
            return ["DeploymentRequest": object(["sequence": string(255), "collection": string(255)], required: ["sequence", "collection"])]
        }
    }
}
