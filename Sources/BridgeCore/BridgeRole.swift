/// Who a bearer token (or a client certificate) speaks for: the seed's Configuration Manager
/// Proxy roles (seed-catalog C32: Administrator, Enrollers, Problem Monitor Users, Key
/// Administrators) plus the two kinds of token a machine holds: a one-time enrollment token and
/// the client token it gets back from enrolling (C35).
///
/// The raw values are what the CLI (`netboot tokens issue --role …`), the API and the store use.
public enum BridgeRole: String, CaseIterable, Codable, Hashable, Sendable, Comparable {
    /// Everything on the console port.
    case administrator
    /// Issues enrollment tokens.
    case enrollers
    /// Reads status, devices, reports, logs, images and leases; changes nothing.
    case problemMonitorUsers = "problem-monitor-users"
    /// Reads escrowed secrets (FileVault recovery keys in the seed, C32 and P29).
    case keyAdministrators = "key-administrators"
    /// A one-time token that lets one machine enroll (client port).
    case enrollment
    /// A machine's own token, returned by enrollment: reports, files, runs and escrowing its own
    /// secrets (client port).
    case client

    /// The scopes the role grants. The one table of who may do what; the bridge's role
    /// middleware asks it for every call.
    public var scopes: Set<BridgeScope> {
        switch self {
        case .administrator:
            Set(BridgeScope.allCases.filter(\.isConsole))
        case .enrollers:
            [.tokensIssue]
        case .problemMonitorUsers:
            [.devicesRead, .reportsRead, .imagesRead, .leasesRead, .runsRead]
        case .keyAdministrators:
            [.escrowRead]
        case .enrollment:
            [.enroll, .filesRead]
        case .client:
            [.reportsWrite, .filesRead, .runsWrite, .escrowWrite]
        }
    }

    /// Whether the role is held by people and tools on the console port (the rest are machines').
    public var isConsole: Bool {
        switch self {
        case .administrator, .enrollers, .problemMonitorUsers, .keyAdministrators: true
        case .enrollment, .client: false
        }
    }

    public static func < (lhs: BridgeRole, rhs: BridgeRole) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One permission a route requires. Every route of both ports names exactly one (or none for the
/// public `/openapi.json`), in the route table the OpenAPI documents are generated from.
public enum BridgeScope: String, CaseIterable, Codable, Hashable, Sendable {
    // console port
    case devicesRead = "devices.read"
    case reportsRead = "reports.read"
    case imagesRead = "images.read"
    case leasesRead = "leases.read"
    case leasesRelease = "leases.release"
    case imagesRescan = "images.rescan"
    case tokensIssue = "tokens.issue"
    case tokensRead = "tokens.read"
    case tokensRevoke = "tokens.revoke"
    case auditRead = "audit.read"
    case escrowRead = "escrow.read"
    case runsRead = "runs.read"
    case sequencesDeploy = "sequences.deploy"
    /// Packet captures on the console's Capture page (the flight-recorder dump); Administrators only.
    case captureRun = "capture.run"
    // client port
    case enroll
    case reportsWrite = "reports.write"
    case filesRead = "files.read"
    case runsWrite = "runs.write"
    case escrowWrite = "escrow.write"

    /// Whether the scope belongs to the console port (8760).
    public var isConsole: Bool {
        switch self {
        case .enroll, .reportsWrite, .filesRead, .runsWrite, .escrowWrite: false
        default: true
        }
    }
}

/// Which roles a token holder may hand out with `POST /v1/tokens` (`netboot tokens issue`
/// writes the store directly and is not bound by it): an Administrator any role but `client`
/// (client tokens come only from enrolling), Enrollers only enrollment tokens.
public enum TokenIssuePolicy {
    public static func may(_ issuer: BridgeRole, issue role: BridgeRole) -> Bool {
        switch (issuer, role) {
        case (_, .client): false
        case (.administrator, _): true
        case (.enrollers, .enrollment): true
        default: false
        }
    }
}
