import AsyncHTTPClient
import BridgeCore
import Foundation
import Logging
import NIOCore
import NIOSSL
import NetbootStore
import ServiceLifecycle

/// Delivers the outbox to `bridge.upstream` (docs/bridge.md, "Outbox"): each client's oldest
/// undelivered event, one at a time per client so they arrive in order, `POST`ed as JSON with an
/// `Idempotency-Key`; the answer is judged by ``OutboxSchedule/outcome(status:)`` and recorded
/// before the next event of that client is sent. Survives restarts (the outbox is on disk) and
/// upstream outages (retries with backoff). On a shared PostgreSQL store several bridges may
/// run this sender; each pass claims the events it sends (``OutboxRecords``), so each event goes
/// out from one of them at a time, still in order per client (docs/store.md "The bridge's records").
final class OutboxSender: Service {
    let store: any BridgeRecords
    let url: String
    let schedule: OutboxSchedule
    let timeout: TimeAmount
    /// How long a pass's events stay claimed from other bridges on a shared store (``OutboxClaim``).
    let claim: TimeInterval
    let client: HTTPClient
    let logger: Logger
    let now: @Sendable () -> Date

    init(store: any BridgeRecords, url: String, trustRoots: String, timeout: Int, retryMax: Int,
         logger: Logger, now: @escaping @Sendable () -> Date) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if !trustRoots.isEmpty {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustRoots))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(Int64(min(timeout, 10))), read: .seconds(Int64(timeout))))
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.store = store
        self.url = url
        schedule = OutboxSchedule(base: 1, cap: TimeInterval(retryMax))
        self.timeout = .seconds(Int64(timeout))
        claim = OutboxClaim.seconds(requestTimeout: timeout)
        self.logger = logger
        self.now = now
    }

    func run() async throws {
        logger.notice("bridge: relaying reports and enrollments to \(url)")
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let sent = await pass()
                if sent == 0 { try? await Task.sleep(for: .milliseconds(250)) }
            }
        } onGracefulShutdown: {}
        try? await client.shutdown()
    }

    /// One round: every client with a due event sends it (clients in parallel, each in order).
    /// Returns how many were attempted.
    func pass() async -> Int {
        let due: [OutboxEvent]
        do {
            due = try store.dueOutboxEvents(now: now(), limit: 64, claim: claim)
        } catch {
            logger.error("bridge outbox: cannot read: \(error)")
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for event in due {
                group.addTask { await self.deliver(event) }
            }
        }
        return due.count
    }

    func deliver(_ event: OutboxEvent) async {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: event.idempotencyKey)
        let envelope = JSONValue.object([
            "device": .string(event.mac), "idempotency_key": .string(event.idempotencyKey), "kind": .string(event.kind),
            "event": JSONValue.parse(event.body) ?? .null,
        ])
        request.body = .bytes(ByteBuffer(bytes: envelope.canonicalJSON))
        var status: Int?
        var problem: String?
        do {
            let response = try await client.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            status = Int(response.status.code)
        } catch {
            problem = "\(error)"
        }
        let outcome = OutboxSchedule.outcome(status: status)
        let detail = status.map { "HTTP \($0)" } ?? problem ?? "no answer"
        do {
            try store.recordOutboxAttempt(id: event.id, outcome: outcome, error: outcome == .delivered ? nil : detail,
                                          schedule: schedule, now: now())
        } catch {
            logger.error("bridge outbox: cannot record the attempt for \(event.idempotencyKey): \(error)")
        }
        switch outcome {
        case .delivered:
            logger.debug("bridge outbox: delivered \(event.idempotencyKey)")
        case .retry:
            logger.warning("bridge outbox: \(event.idempotencyKey) not delivered (\(detail)); attempt \(event.attempts + 1), retrying in \(Int(schedule.delay(afterFailedAttempts: event.attempts + 1))) s")
        case .rejected:
            logger.error("bridge outbox: upstream rejected \(event.idempotencyKey) (\(detail)); kept and skipped")
        }
    }
}
