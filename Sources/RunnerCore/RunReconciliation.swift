import TaskSequenceCore

/// `netboot-runner resume` of a bridge run (docs/task-sequences.md "Runs through the bridge"):
/// the appliance's view of the run and the journal must agree on which steps ran before
/// anything runs again. Pure: the journal and the appliance's step states in, the
/// disagreements out (empty: they agree).
public enum RunReconciliation {
    /// One step as the appliance shows it (`GET /v1/runs/{id}/plan`, `run.steps[]`).
    public struct ApplianceStep: Sendable, Equatable {
        public var pointer: Int
        public var name: String
        /// `not-run`, `running`, `success`, `failed`, `skipped`.
        public var state: String

        public init(pointer: Int, name: String, state: String) {
            self.pointer = pointer
            self.name = name
            self.state = state
        }
    }

    static let finished: Set<String> = ["success", "failed", "skipped"]

    /// The journal's word for a step, in the appliance's terms.
    public static func state(_ status: StepRecord.Status) -> String {
        switch status {
        case .notRun: return "not-run"
        case .running: return "running"
        case .succeeded: return "success"
        case .failed, .failedContinued, .timedOut: return "failed"
        case .skippedByCondition, .disabled: return "skipped"
        }
    }

    /// Every step one side calls finished must be finished the same way on the other; a step
    /// neither has finished (not run, or interrupted) agrees whatever else it is.
    public static func disagreements(journal: Journal, appliance: [ApplianceStep]) -> [String] {
        var out: [String] = []
        for step in appliance {
            guard let record = journal.steps.first(where: { $0.pointer == step.pointer }) else { continue }
            let mine = state(record.status)
            if mine != step.state, finished.contains(mine) || finished.contains(step.state) {
                out.append("step \(step.pointer) '\(step.name)': journal \(mine), appliance \(step.state)")
            }
        }
        return out
    }
}
