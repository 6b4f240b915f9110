import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// A request to re-read what can change without a restart (the image catalog: issue 3's
/// "rescan on SIGHUP and on `netboot images rescan`").
public struct Reload: Sendable, Equatable {
    public enum Cause: Sendable, Equatable {
        /// The process received SIGHUP.
        case hangupSignal
        /// Something inside the process asked (a control command, an admin route).
        case request(String)
    }

    public var cause: Cause
}

/// The fan-out of reload requests: each subscriber (the image catalog, …) gets its own
/// `AsyncStream<Reload>`; every request reaches every subscriber. Streams end when `netboot
/// serve` shuts down. Subscribe before the service group runs, or at any time after.
///
/// ```swift
/// for await reload in context.reloads.subscribe() { catalog.rescan(); logger.info("rescanned", metadata: ["cause": "\(reload.cause)"]) }
/// ```
public final class Reloads: @unchecked Sendable {
    // @unchecked: all state is under `lock`.
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<Reload>.Continuation] = [:]
    private var finished = false

    public init() {}

    /// A new stream of every reload requested from now on. Buffers the newest request only:
    /// a slow subscriber that missed several reloads needs to reload just once.
    public func subscribe() -> AsyncStream<Reload> {
        let (stream, continuation) = AsyncStream.makeStream(of: Reload.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        lock.lock()
        if finished {
            lock.unlock()
            continuation.finish()
            return stream
        }
        subscribers[id] = continuation
        lock.unlock()
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return stream
    }

    /// Sends `reload` to every subscriber.
    public func request(_ reload: Reload) {
        lock.lock()
        let targets = Array(subscribers.values)
        lock.unlock()
        for continuation in targets { continuation.yield(reload) }
    }

    /// Ends every stream; later subscribers get an ended stream.
    public func finish() {
        lock.lock()
        finished = true
        let targets = Array(subscribers.values)
        subscribers = [:]
        lock.unlock()
        for continuation in targets { continuation.finish() }
    }

    private func remove(_ id: UUID) {
        lock.lock()
        subscribers[id] = nil
        lock.unlock()
    }
}

/// Turns SIGHUP into `Reloads.request(.hangupSignal)` for as long as the service group runs.
public struct HangupService: Service {
    let reloads: Reloads
    let logger: Logger

    public init(reloads: Reloads, logger: Logger) {
        self.reloads = reloads
        self.logger = logger
    }

    public func run() async throws {
        defer { reloads.finish() }
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            logger.info("SIGHUP: reload requested")
            reloads.request(Reload(cause: .hangupSignal))
        }
    }
}
