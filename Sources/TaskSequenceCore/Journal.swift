/// What the executor writes to disk before each step and before a reboot, and reads back to
/// resume: `{instruction pointer, step results with attempts and exit codes, running-layer
/// variables, phase}` (issue 16 §1; SCCM keeps the same in `SMSTSNextInstructionPointer` and
/// its environment, engines §1.5).
///
/// It never holds a secret value: a secret variable is journaled as a *sealed reference* that
/// says where the value comes from, and the value is resolved again after a resume (a Set
/// Variables step from the program, an input from the operator). `Secret`'s own `Codable` form
/// is `***`, which must never be read back as a value, so the journal does not use it.
public struct Journal: Sendable, Codable, Equatable {
    /// The layout version; a journal of another version is refused.
    public static let currentVersion = 1

    public enum Phase: String, Sendable, Codable, Equatable {
        /// Not started (inputs and prompts not done yet).
        case ready
        /// Steps are running; `pointer` is the next (or current) instruction.
        case running
        /// Waiting for a failed step's retry delay.
        case waitingRetry
        /// A reboot was asked for; `pointer` is the instruction after the step that asked.
        case rebooting
        case succeeded
        case failed
    }

    public var version: Int
    public var sequenceName: String
    /// `Program.fingerprint` of the program this journal belongs to: a resume against a
    /// changed plan is refused.
    public var programFingerprint: String
    public var phase: Phase
    public var pointer: Int
    /// The attempt of the step at `pointer` (1-based) while it runs or waits for a retry.
    public var attempt: Int
    /// When a `waitingRetry` phase ends (run time, seconds).
    public var retryAt: Double?
    /// One record per step instruction, in program order.
    public var steps: [StepRecord]
    /// Variables set while running (Set Variables steps, `tsvar --set`, operator inputs), in
    /// the order they were set.
    public var variables: [JournalVariable]
    /// The instruction whose failure ended the run.
    public var failedAt: Int?
    /// `_TSLastAction*` as the last finished step left them.
    public var lastAction: LastAction?

    public struct LastAction: Sendable, Codable, Equatable {
        public var name: String
        public var exitCode: Int32
        public var succeeded: Bool
    }

    /// The step that was started and never finished (the machine went down while it ran).
    public var interruptedStep: StepRecord? {
        guard phase == .running else { return nil }
        return steps.first { $0.status == .running }
    }
}

/// One step's result in the journal and in `status` (issue 16 §2: succeeded, failed, skipped
/// by condition, disabled, not run; exit codes, attempts, times).
public struct StepRecord: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, Equatable {
        case notRun = "not run"
        /// Started and not (yet) finished.
        case running
        case succeeded
        case failed
        /// Failed, and `continueOnError` let the run go on.
        case failedContinued = "failed, continued"
        case timedOut = "timed out"
        case skippedByCondition = "skipped by condition"
        case disabled
    }

    public var pointer: Int
    public var name: String
    public var id: String?
    public var type: StepType
    public var status: Status
    public var attempts: Int
    /// The exit code as the step's rules read it (3010 for a script's 194).
    public var exitCode: Int32?
    /// The exit status the process really returned, when it differs (194 for 3010).
    public var rawExitCode: Int32?
    public var rebootRequested: Bool
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Why the step failed, when the driver said (never a secret).
    public var message: String?

    public init(pointer: Int, name: String, id: String?, type: StepType) {
        self.pointer = pointer
        self.name = name
        self.id = id
        self.type = type
        status = .notRun
        attempts = 0
        rebootRequested = false
    }
}

/// A variable set while running, as journaled: a plain value, or a sealed reference for a
/// secret.
public struct JournalVariable: Sendable, Codable, Equatable {
    /// Where a secret's value comes from after a resume.
    public enum Seal: String, Sendable, Codable, Equatable {
        /// From the Set Variables step at `fromStep`, read again from the program.
        case program
        /// From the operator (`--var`, `--var-file`, a prompt): asked for again on resume.
        case input
        /// Set by a script through `tsvar` (step `fromStep`): cannot be re-derived, asked for
        /// again on resume like an input.
        case script
    }

    public var name: VariableName
    public var layer: VariableLayer
    /// The plain value; nil for a sealed secret and for a deletion (`value` nil, `seal` nil).
    public var value: String?
    public var seal: Seal?
    /// The step that set it (program seals, script seals).
    public var fromStep: Int?
}
