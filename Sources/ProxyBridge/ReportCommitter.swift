import BridgeCore
import Foundation
import NetbootStore
import Synchronization

/// Group commit for client reports (DESIGN §5: batch, do not skip durability): reports that
/// arrive while one transaction is being written wait for the next, which takes all of them
/// at once. No added delay for a lone report; one WAL sync for a burst. Each caller gets its
/// own ``ReportAdmission`` only after the transaction holding its report is committed.
final class ReportCommitter: Sendable {
    private struct Pending: Sendable {
        var submission: ReportSubmission
        var continuation: CheckedContinuation<ReportAdmission, any Error>
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var writing = false
    }

    private let store: BridgeStore
    private let relay: Bool
    private let maxBatch: Int
    private let now: @Sendable () -> Date
    private let state = Mutex(State())
    private let writer = DispatchQueue(label: "netboot.bridge.reports")

    init(store: BridgeStore, relay: Bool, maxBatch: Int = 512, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.relay = relay
        self.maxBatch = maxBatch
        self.now = now
    }

    func submit(_ submission: ReportSubmission) async throws -> ReportAdmission {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.queue.append(Pending(submission: submission, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if start { writer.async { self.drain() } }
        }
    }

    /// Writes batches until the queue is empty (on the writer queue, never on an event loop).
    private func drain() {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let batch = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let admissions = try store.submit(batch.map(\.submission), now: now(), relay: relay)
                for (pending, admission) in zip(batch, admissions) { pending.continuation.resume(returning: admission) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }
}
