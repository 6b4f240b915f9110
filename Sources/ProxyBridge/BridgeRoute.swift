import BridgeCore

/// One route of the bridge's API: the single table that the router registers, the role
/// middleware checks and the OpenAPI documents are generated from (docs/bridge.md, "API").
/// A route missing here is neither served nor allowed: the middleware refuses every path it
/// does not find (401 without a live token, 404 with one), so no route can skip the check.
public struct BridgeRoute: Sendable, Hashable {
    /// Which listener serves it.
    public enum Port: String, Sendable, CaseIterable {
        /// Machines: enrollment, reports, files (8761).
        case client
        /// Admins and tools (8760).
        case console
    }

    public var port: Port
    /// `GET`, `POST`, `DELETE`.
    public var method: String
    /// The path with `{name}` parameters, as Hummingbird and OpenAPI both write it.
    public var path: String
    /// The scope a caller's role must hold; nil only for `/openapi.json`.
    public var scope: BridgeScope?
    /// OpenAPI `operationId`, and the key of the route's handler.
    public var operation: String
    public var summary: String
    /// The request body's schema name in the document's components, if the route takes one.
    public var requestSchema: String?
    /// Status → (description, response schema name or nil).
    public var responses: [Int: String]
    /// Query parameters (name, description) — all optional integers.
    public var query: [String] = []
    /// The request body's media type when it is not JSON (`application/octet-stream` for an
    /// image stream); `requestSchema` is then ignored.
    public var requestMediaType: String?

    /// The key the middleware looks routes up by: `GET /v1/devices/{mac}`.
    public var key: String { "\(method) \(path)" }
}

extension BridgeRoute {
    /// Every route of both ports.
    public static let all: [BridgeRoute] = client + console + runs + captures + runLogs

    public static let client: [BridgeRoute] = [
        BridgeRoute(port: .client, method: "GET", path: "/openapi.json", scope: nil, operation: "clientOpenAPI",
                    summary: "This document.", responses: [200: "The OpenAPI 3.1 document of the client port."]),
        BridgeRoute(port: .client, method: "POST", path: "/v1/enroll", scope: .enroll, operation: "enroll",
                    summary: "Enroll a machine with a one-time enrollment token; returns its client token (shown once).",
                    requestSchema: "EnrollmentRequest",
                    responses: [201: "Enrolled: the device record and the client token.", 400: "A field is wrong.",
                                401: "No live enrollment token.", 403: "Not an enrollment token.", 413: "Body too large."]),
        BridgeRoute(port: .client, method: "POST", path: "/v1/reports", scope: .reportsWrite, operation: "submitReport",
                    summary: "Report a status event, inventory or log upload, with the client's next sequence number.",
                    requestSchema: "ClientReport",
                    responses: [202: "Stored (or already stored: duplicate true); durable before this answer.",
                                400: "A field is wrong.", 401: "No live client token.", 403: "Not a client token.",
                                409: "The sequence number was used for another report.", 413: "Body too large."]),
        BridgeRoute(port: .client, method: "GET", path: "/files/{name}", scope: .filesRead, operation: "getFile",
                    summary: "A file from bridge.files-dir (the client package).",
                    responses: [200: "The file.", 401: "No live token.", 403: "Wrong role.", 404: "No such file."]),
    ]

    public static let console: [BridgeRoute] = [
        BridgeRoute(port: .console, method: "GET", path: "/openapi.json", scope: nil, operation: "consoleOpenAPI",
                    summary: "This document.", responses: [200: "The OpenAPI 3.1 document of the console port."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/bridge", scope: .devicesRead, operation: "bridgeStatus",
                    summary: "Counts: devices, tokens, outbox.", responses: [200: "Counts.", 401: "No live token.", 403: "Wrong role."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/devices", scope: .devicesRead, operation: "listDevices",
                    summary: "Every enrolled device.", responses: [200: "Devices by MAC.", 401: "No live token.", 403: "Wrong role."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/devices/{mac}", scope: .devicesRead, operation: "getDevice",
                    summary: "One device.", responses: [200: "The device.", 401: "No live token.", 403: "Wrong role.", 404: "Not enrolled."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/devices/{mac}/reports", scope: .reportsRead, operation: "listReports",
                    summary: "A device's reports in sequence order, after `after`.",
                    responses: [200: "Reports.", 401: "No live token.", 403: "Wrong role.", 404: "Not enrolled."],
                    query: ["after", "limit"]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/devices/{mac}/runs", scope: .reportsRead, operation: "listRuns",
                    summary: "A device's task-sequence runs from its status reports: steps paired, failures bubbled up to groups and runs.",
                    responses: [200: "Runs in the order first seen.", 401: "No live token.", 403: "Wrong role.", 404: "Not enrolled."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/leases", scope: .leasesRead, operation: "listLeases",
                    summary: "DHCP leases of authoritative mode.", responses: [200: "Leases by address.", 401: "No live token.", 403: "Wrong role."]),
        BridgeRoute(port: .console, method: "DELETE", path: "/v1/leases/{lease}", scope: .leasesRelease, operation: "releaseLease",
                    summary: "Release the leases of a client (MAC) or one address, through the running appliance's control socket.",
                    responses: [200: "The released records.", 400: "Neither a MAC nor an IPv4 address.", 401: "No live token.",
                                403: "Wrong role.", 404: "No lease held.", 409: "DHCP is not authoritative.",
                                502: "The appliance failed.", 503: "No appliance runs."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/images", scope: .imagesRead, operation: "listImages",
                    summary: "NetBoot, PXE and disk images and skipped folders with their reasons, as `netboot images list --json`.",
                    responses: [200: "The images document.", 401: "No live token.", 403: "Wrong role.", 502: "The appliance failed.",
                                503: "No appliance answers."]),
        BridgeRoute(port: .console, method: "POST", path: "/v1/images/rescan", scope: .imagesRescan, operation: "rescanImages",
                    summary: "Ask the running appliance to rescan its images (as `netboot images rescan`).",
                    responses: [200: "The catalog after the rescan and its changes.", 401: "No live token.", 403: "Wrong role.",
                                409: "BSDP is off.", 502: "The appliance failed.", 503: "No appliance runs."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/tokens", scope: .tokensRead, operation: "listTokens",
                    summary: "Every token (ids, roles, states; never a token's text).",
                    responses: [200: "Tokens.", 401: "No live token.", 403: "Wrong role."]),
        BridgeRoute(port: .console, method: "POST", path: "/v1/tokens", scope: .tokensIssue, operation: "issueToken",
                    summary: "Issue a token (Enrollers: enrollment tokens only); its text is in this answer only.",
                    requestSchema: "TokenIssueRequest",
                    responses: [201: "The token, shown once.", 400: "A field is wrong.", 401: "No live token.",
                                403: "Wrong role, or a role this caller may not issue."]),
        BridgeRoute(port: .console, method: "DELETE", path: "/v1/tokens/{id}", scope: .tokensRevoke, operation: "revokeToken",
                    summary: "Revoke a token by its id.",
                    responses: [200: "The revoked token.", 401: "No live token.", 403: "Wrong role.", 404: "No such token."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/audit", scope: .auditRead, operation: "listAudit",
                    summary: "The audit log, newest first, before id `before`.",
                    responses: [200: "Audit lines.", 401: "No live token.", 403: "Wrong role."], query: ["before", "limit"]),
    ]
}
