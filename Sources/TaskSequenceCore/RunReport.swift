/// What the executor tells the outside world as a run goes: the runner writes each one to its
/// log and its outbox (later sent to the appliance through the bridge's client port, issue 16
/// §6). Never carries a variable value.
public enum RunReport: Sendable, Codable, Equatable {
    case started(sequence: String, instructions: Int)
    /// The run goes on after a reboot or an interruption, at `pointer`.
    case resumed(pointer: Int)
    case stepStarted(pointer: Int, attempt: Int)
    /// A step the run passed without running (disabled, or its condition was false).
    case stepSkipped(pointer: Int, status: StepRecord.Status)
    case stepFinished(pointer: Int, status: StepRecord.Status, exitCode: Int32?, attempts: Int)
    /// A failed attempt; the next one starts at `at` (run time, seconds).
    case retryScheduled(pointer: Int, attempt: Int, at: Double)
    /// The machine restarts now; the run continues at `resumeAt` after it comes back.
    case rebooting(resumeAt: Int)
    case finished(Executor.Outcome)
}
