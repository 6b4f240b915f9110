import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NetbootStore
import Synchronization

/// The one check every call of both ports passes (docs/bridge.md, "Roles"): rate limit, then
/// the bearer token against the store, then the route's scope from ``BridgeRoute`` through
/// ``TokenCheck``. Installed by ``BridgeRouter`` before any route is added, so it wraps every
/// route and the not-found responder; a path the table does not list gets 401 without a live
/// token and 404 with one.
struct RoleMiddleware: RouterMiddleware {
    typealias Context = BridgeRequestContext

    let routes: [String: BridgeRoute]
    /// Finds a token's record by digest. A synchronous store read: called on the blocking pool
    /// (``Blocking``), never on the threads that serve connections.
    let lookup: @Sendable (TokenDigest) throws -> TokenRecord?
    let limiter: SharedRateLimit
    let audit: AuditTrail
    /// Mutual TLS is on: a call without a token may be made with a verified client certificate.
    let clientCertificates: Bool
    let now: @Sendable () -> Date

    init(routes: [BridgeRoute], store: any BridgeRecords, rate: RateLimit, audit: AuditTrail, clientCertificates: Bool = false,
         now: @escaping @Sendable () -> Date) {
        self.init(routes: routes, lookup: { try store.token(digest: $0) }, rate: rate, audit: audit,
                  clientCertificates: clientCertificates, now: now)
    }

    init(routes: [BridgeRoute], lookup: @escaping @Sendable (TokenDigest) throws -> TokenRecord?, rate: RateLimit, audit: AuditTrail,
         clientCertificates: Bool = false, now: @escaping @Sendable () -> Date) {
        self.routes = Dictionary(routes.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        self.lookup = lookup
        limiter = SharedRateLimit(rate)
        self.audit = audit
        self.clientCertificates = clientCertificates
        self.now = now
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = context.endpointPath.flatMap { routes["\(request.method.rawValue) \($0)"] }
        if let route, route.scope == nil { return try await next(request, context) }
        // The web console's pages check their session and scope themselves (ConsoleWeb.gate).
        if route == nil, let path = context.endpointPath, ConsoleWeb.owns(path) { return try await next(request, context) }
        let presented = Self.bearer(request.headers[.authorization])
        let digest = presented?.digest  // SHA-256 once per call
        let instant = now()
        let caller = digest.map { "token:\($0.id)" } ?? "address:\(context.remoteAddress)"
        if case let .deny(retryAfter) = limiter.admit(caller, now: instant) {
            throw BridgeError.tooManyRequests(retryAfter: retryAfter)
        }
        var record: TokenRecord?
        if let digest {
            let lookup = lookup
            record = try await Blocking.run { try lookup(digest) }
        }
        if presented == nil, clientCertificates {
            record = await PeerCertificate.record(of: context.channel, now: instant)
        }
        guard let route, let scope = route.scope else {
            // Not in the table: nothing to grant. A live token learns it is not found.
            guard let record, record.state(at: instant) == .active else { throw BridgeError.unauthorized }
            throw BridgeError.notFound
        }
        switch TokenCheck.evaluate(record, requires: scope, now: instant) {
        case .unauthenticated:
            if route.operation == "enroll" {
                // A machine whose enrollment is refused (its token replayed, expired, revoked) is
                // visible in the log: the token's public id and state, never the token.
                let state = record.map { $0.state(at: instant).rawValue } ?? (presented == nil ? "missing" : "unknown")
                audit.logger.notice("enrollment refused: token \(presented?.digest.id ?? "-") is \(state) (from \(context.remoteAddress))")
            }
            throw BridgeError.unauthorized
        case .forbidden:
            if let record, route.port == .console {
                await audit.record(actor: record, action: route.operation, target: request.uri.path, outcome: "forbidden", at: instant)
            }
            throw BridgeError.forbidden
        case let .allowed(record):
            var context = context
            context.caller = record
            return try await next(request, context)
        }
    }

    /// The token of an `Authorization: Bearer …` header, if it has a token's shape.
    static func bearer(_ header: String?) -> BridgeToken? {
        guard let header, header.count < 200 else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return BridgeToken(presented: parts[1].trimmingCharacters(in: .whitespaces))
    }
}

/// Writes the audit log: a row in the store and a log line (never a token's text).
struct AuditTrail: Sendable {
    let store: any BridgeRecords
    let logger: Logger

    func record(actor: TokenRecord, action: String, target: String, outcome: String, at: Date) async {
        let entry = AuditEntry(at: at, actor: actor.id, role: actor.role.rawValue, action: action, target: target, outcome: outcome)
        logger.notice("audit: \(action) \(target) by \(actor.role.rawValue) token \(actor.id): \(outcome)")
        let store = store
        do {
            try await Blocking.run { try store.appendAudit(entry) }
        } catch {
            logger.error("audit: cannot store the line for \(action) \(target): \(error)")
        }
    }
}

/// ``RateLimit`` shared by every connection of both ports.
final class SharedRateLimit: Sendable {
    private let state: Mutex<RateLimit>

    init(_ limit: RateLimit) { state = Mutex(limit) }

    func admit(_ caller: String, now: Date) -> RateLimit.Decision {
        state.withLock { $0.admit(caller, now: now) }
    }
}
