import Foundation
import Synchronization
import Testing
@testable import ProxyBridge

/// Group commit: items that arrive while a batch is written go together in the next one, and
/// each caller gets its own answer (or the batch's error) only after its batch was written.
@Suite struct GroupCommitTests {
    final class Batches: Sendable {
        let sizes = Mutex<[Int]>([])
    }

    @Test func waitingItemsShareTheNextBatchAndGetTheirOwnAnswers() async throws {
        let batches = Batches()
        let commit = GroupCommit<Int, Int>(label: "test.group-commit") { items in
            batches.sizes.withLock { $0.append(items.count) }
            Thread.sleep(forTimeInterval: 0.05)
            return items.map { $0 * 10 }
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for item in 1...40 { group.addTask { (item, try await commit.submit(item)) } }
            var out: [Int: Int] = [:]
            for try await (item, answer) in group { out[item] = answer }
            return out
        }
        #expect(answers == Dictionary(uniqueKeysWithValues: (1...40).map { ($0, $0 * 10) }))
        let sizes = batches.sizes.withLock { $0 }
        #expect(sizes.reduce(0, +) == 40)
        #expect(sizes.count < 40, "every item was written alone: \(sizes)")
    }

    struct Refused: Error {}

    @Test func aFailedBatchFailsEachOfItsCallers() async {
        let commit = GroupCommit<Int, Int>(label: "test.group-commit-fail") { _ in throw Refused() }
        await #expect(throws: Refused.self) { try await commit.submit(1) }
    }
}
