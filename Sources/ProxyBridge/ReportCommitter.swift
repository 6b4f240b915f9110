import BridgeCore
import Foundation
import NetbootStore
import Synchronization

/// Group commit for client reports (DESIGN §5: batch, do not skip durability): reports that
/// arrive while one transaction is being written wait for the next, which takes all of them
/// at once. No added delay for a lone report; one WAL sync for a burst. Each caller gets its
/// own ``ReportAdmission`` only after the transaction holding its report is committed. The
/// batching is ``GroupCommit``'s, shared with run events.
final class ReportCommitter: Sendable {
    private let commit: GroupCommit<ReportSubmission, ReportAdmission>

    init(store: any BridgeRecords, relay: Bool, maxBatch: Int = 512, now: @escaping @Sendable () -> Date) {
        commit = GroupCommit(label: "netboot.bridge.reports", maxBatch: maxBatch) { batch in
            try store.submit(batch, now: now(), relay: relay)
        }
    }

    func submit(_ submission: ReportSubmission) async throws -> ReportAdmission {
        try await commit.submit(submission)
    }
}
