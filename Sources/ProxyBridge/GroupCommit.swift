import Foundation
import Synchronization

/// Group commit for any kind of client write (DESIGN §5: batch, do not skip durability), for
/// reports (``ReportCommitter``) and run events (``RunAPI``): items arriving while one
/// transaction is written wait for the next, which takes all of them at once. No added delay
/// for a lone item; one WAL sync for a burst. Each caller gets its answer only after the
/// transaction holding its item is committed.
final class GroupCommit<Item: Sendable, Answer: Sendable>: Sendable {
    private struct Pending: Sendable {
        var item: Item
        var continuation: CheckedContinuation<Answer, any Error>
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var writing = false
    }

    private let write: @Sendable ([Item]) throws -> [Answer]
    private let maxBatch: Int
    private let state = Mutex(State())
    private let writer: DispatchQueue

    /// `write` stores a batch in one transaction and answers each item, in order.
    init(label: String, maxBatch: Int = 512, write: @escaping @Sendable ([Item]) throws -> [Answer]) {
        self.write = write
        self.maxBatch = maxBatch
        writer = DispatchQueue(label: label)
    }

    func submit(_ item: Item) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.queue.append(Pending(item: item, continuation: continuation))
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
                let answers = try write(batch.map(\.item))
                guard answers.count == batch.count else { throw CountMismatch() }
                for (pending, answer) in zip(batch, answers) { pending.continuation.resume(returning: answer) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }

    struct CountMismatch: Error {}
}
