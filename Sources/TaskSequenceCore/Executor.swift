/// The run-side state machine over a `Program`: past-tense events in, imperative actions out,
/// time as an input value, no I/O and no clock (DESIGN §9, shaped like `TFTPReadTransfer`).
/// The runner's drivers run the steps it asks for and feed back exit codes; the runner writes
/// `journal` on every `persist`, and a journal read back resumes the run (`init(restoring:…)`).
///
/// Error semantics are the seed's (L4872-4878: "To continue to the next task sequence step
/// outside the group when one of the steps within a group fails, select the Continue on error
/// option … if … you want to continue to the next step in the same group, the [failing] step must
/// have Continue on error selected") and SCCM's (engines §1.4): a failing step without
/// continueOnError ends its group; if that group has continueOnError the run resumes after the
/// group, otherwise the group has failed and the same rule applies one level up; at the top
/// level the sequence fails. A failing command-like step is retried `retry.count` times,
/// `retry.delaySeconds` apart, before that rule applies; a step past its `timeout` is cancelled
/// and has failed. Exit code 3010 (a script's 194) is success and a restart before the next
/// step (`StepExitCode`); a Restart step is run by the engine itself as that restart.
public struct Executor: Sendable {
    public enum Event: Sendable, Equatable {
        /// The operator's inputs are in; run from the first instruction.
        case started(now: Double)
        /// A restored executor goes on (after a reboot or an interruption).
        case resumed(now: Double)
        /// The driver ran the step to its end with this exit status.
        case stepFinished(pointer: Int, attempt: Int, exitCode: Int32, now: Double)
        /// The driver could not run the step (could not start it, it crashed, bad input); the
        /// message is shown and journaled and must not hold a secret.
        case stepFailed(pointer: Int, attempt: Int, message: String, now: Double)
        /// `nextDeadline` has passed.
        case deadlineReached(now: Double)
    }

    public enum Outcome: Sendable, Codable, Equatable {
        case success
        /// The sequence failed; `at` is the instruction whose failure ended it.
        case failure(at: Int)
    }

    public enum Action: Sendable, Equatable {
        /// Write `journal` to disk (atomically) before doing anything that follows.
        case persist
        case report(RunReport)
        /// Run the step at `pointer`; `attempt` counts from 1. Cancel it at `deadline`.
        case runStep(pointer: Int, attempt: Int, deadline: Double?)
        /// Stop the running step (its timeout fired); its late result is ignored.
        case cancelStep(pointer: Int, attempt: Int)
        /// Restart the machine; the journal already says where to go on.
        case reboot
        case finish(Outcome)
    }

    private enum State: Sendable, Equatable {
        case ready
        case running(pointer: Int, attempt: Int, deadline: Double?)
        /// `attempt` is the attempt that starts at `until`.
        case waitingRetry(pointer: Int, attempt: Int, until: Double)
        case rebooting
        case finished(Outcome)
    }

    public let program: Program
    /// The live variables, secrets included (in memory only).
    public internal(set) var variables: VariableEnvironment
    /// What is persisted; never holds a secret value.
    public internal(set) var journal: Journal
    private var state: State = .ready

    /// A new run over `program`; `variables` holds the built-in, collection, device and
    /// sequence layers.
    public init(program: Program, variables: VariableEnvironment) {
        self.program = program
        self.variables = variables
        let steps = program.instructions.indices.compactMap { index -> StepRecord? in
            let instruction = program.instructions[index]
            guard instruction.kind == .step, let step = instruction.step else { return nil }
            return StepRecord(pointer: index, name: instruction.options.name, id: instruction.options.id, type: step.type)
        }
        journal = Journal(version: Journal.currentVersion, sequenceName: program.name, programFingerprint: program.fingerprint,
                          phase: .ready, pointer: 0, attempt: 1, retryAt: nil, steps: steps, variables: [],
                          failedAt: nil, lastAction: nil)
        self.variables.set(BuiltInVariable.instructionTableSize.rawValue, String(program.count), layer: .builtIn)
        self.variables.set(BuiltInVariable.sequenceName.rawValue, program.name, layer: .builtIn)
    }

    /// When `deadlineReached` is due: the running step's timeout or the end of a retry delay.
    public var nextDeadline: Double? {
        switch state {
        case .running(_, _, let deadline): return deadline
        case .waitingRetry(_, _, let until): return until
        default: return nil
        }
    }

    public var outcome: Outcome? {
        if case .finished(let outcome) = state { return outcome }
        return nil
    }

    /// The step a driver is running now, if any.
    public var runningStep: (pointer: Int, attempt: Int)? {
        if case .running(let pointer, let attempt, _) = state { return (pointer, attempt) }
        return nil
    }

    // MARK: events

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .started(let now):
            guard state == .ready, journal.phase == .ready else { return [] }
            journal.phase = .running
            return [.report(.started(sequence: program.name, instructions: program.count))] + advance(now: now)
        case .resumed(let now):
            guard state == .ready else { return [] }
            return resume(now: now)
        case .stepFinished(let pointer, let attempt, let raw, let now):
            guard case .running(pointer, attempt, _) = state else { return [] }
            return finishStep(pointer: pointer, attempt: attempt, result: .exited(raw), now: now)
        case .stepFailed(let pointer, let attempt, let message, let now):
            guard case .running(pointer, attempt, _) = state else { return [] }
            return finishStep(pointer: pointer, attempt: attempt, result: .failed(message), now: now)
        case .deadlineReached(let now):
            switch state {
            case .running(let pointer, let attempt, let deadline?) where now >= deadline:
                return [.cancelStep(pointer: pointer, attempt: attempt)]
                    + finishStep(pointer: pointer, attempt: attempt, result: .timedOut, now: now)
            case .waitingRetry(let pointer, let attempt, let until) where now >= until:
                return startStep(pointer: pointer, attempt: attempt, now: now)
            default:
                return []
            }
        }
    }

    // MARK: variables

    /// Why a variable could not be set while running.
    public enum SetRefusal: Error, Sendable, Equatable {
        /// `_TS…` built-ins are the engine's (SCCM: read-only `_SMSTS*`).
        case readOnly(VariableName)
        case invalidName(String)
    }

    /// A value from the operator (`--var`, `--var-file`, a prompt), the highest layer. A
    /// secret is journaled as a sealed `input` and must be given again on resume.
    public mutating func setInput(_ name: VariableName, _ text: String, secret: Bool = false) throws(SetRefusal) {
        try setRunningLayer(name, text, secret: secret, seal: .input)
    }

    /// A variable set while running (`tsvar --set`), the highest layer. An empty value deletes
    /// it (SCCM `MS-UTV`). Read-only built-ins cannot be set.
    public mutating func setRunning(_ name: VariableName, _ text: String, secret: Bool = false) throws(SetRefusal) {
        try setRunningLayer(name, text, secret: secret, seal: .script)
    }

    private mutating func setRunningLayer(_ name: VariableName, _ text: String, secret: Bool, seal: JournalVariable.Seal) throws(SetRefusal) {
        guard VariableName.isValid(name.spelling) else { throw .invalidName(name.spelling) }
        guard !name.isReadOnly else { throw .readOnly(name) }
        let isSecret = secret || variables.isSecret(name) || StepCatalog.secretVariables.contains(name)
        journal.variables.removeAll { $0.name == name && $0.layer == .running }
        if text.isEmpty {
            variables.remove(name, layer: .running)
            journal.variables.append(JournalVariable(name: name, layer: .running, value: nil, seal: nil, fromStep: nil))
            return
        }
        variables.set(name, .value(VariableValue(text, secret: isSecret)), layer: .running)
        let step = runningStep?.pointer
        journal.variables.append(isSecret
            ? JournalVariable(name: name, layer: .running, value: nil, seal: seal, fromStep: step)
            : JournalVariable(name: name, layer: .running, value: text, seal: nil, fromStep: step))
    }

    /// The text of a step property with `%VAR%` references expanded from the live variables
    /// (secrets revealed: for the driver only, never for printing).
    public func expanded(_ text: String) -> String {
        VariableReferences.expand(text) { variables.text($0) }
    }

    // MARK: walking

    private func truth(_ condition: Condition?) -> Bool {
        guard let condition else { return true }
        let env = variables
        let evaluator = ConditionEvaluator { name in
            switch env.lookup(name) {
            case .value(let value, _): return .value(value.reveal())
            case .prompt, .unset: return .unset
            }
        }
        return evaluator.evaluate(condition) == .true
    }

    private func recordIndex(_ pointer: Int) -> Int? {
        journal.steps.firstIndex { $0.pointer == pointer }
    }

    /// Marks every step in `range` that has not run with `status` and reports it.
    private mutating func skip(_ range: ClosedRange<Int>, as status: StepRecord.Status) -> [Action] {
        var actions: [Action] = []
        for index in journal.steps.indices where range.contains(journal.steps[index].pointer) && journal.steps[index].status == .notRun {
            journal.steps[index].status = status
            actions.append(.report(.stepSkipped(pointer: journal.steps[index].pointer, status: status)))
        }
        return actions
    }

    /// Walks forward from `journal.pointer` to the next step to run, skipping disabled items
    /// and false conditions (skips leave `_TSLastAction*` untouched, as SCCM's
    /// `_SMSTSLastActionSucceeded`), running Set Variables and Restart steps itself.
    private mutating func advance(now: Double) -> [Action] {
        var actions: [Action] = []
        while journal.pointer < program.count {
            let pointer = journal.pointer
            let instruction = program.instructions[pointer]
            switch instruction.kind {
            case .endGroup:
                journal.pointer += 1
            case .beginGroup(let end):
                if instruction.options.disabled {
                    actions += skip(pointer...max(pointer, end), as: .disabled)
                    journal.pointer = end + 1
                } else if !truth(instruction.options.condition) {
                    actions += skip(pointer...max(pointer, end), as: .skippedByCondition)
                    journal.pointer = end + 1
                } else {
                    journal.pointer += 1
                }
            case .step:
                guard let step = instruction.step, !instruction.options.disabled else {
                    actions += skip(pointer...pointer, as: .disabled)
                    journal.pointer += 1
                    continue
                }
                guard truth(instruction.options.condition) else {
                    actions += skip(pointer...pointer, as: .skippedByCondition)
                    journal.pointer += 1
                    continue
                }
                switch step.type {
                case .setVariables:
                    applySetVariables(step, at: pointer)
                    actions += complete(pointer: pointer, attempt: 1, code: 0, raw: nil, status: .succeeded, message: nil, now: now)
                    journal.pointer += 1
                case .restart:
                    actions += complete(pointer: pointer, attempt: 1, code: 0, raw: nil, status: .succeeded, message: nil, now: now)
                    journal.pointer += 1
                    return actions + reboot()
                default:
                    return actions + startStep(pointer: pointer, attempt: 1, now: now)
                }
            }
        }
        journal.phase = .succeeded
        state = .finished(.success)
        return actions + [.persist, .report(.finished(.success)), .finish(.success)]
    }

    private mutating func applySetVariables(_ step: Step, at pointer: Int) {
        for declaration in step.variables {
            variables.set(declaration.name, declaration.value, layer: .taskSequence)
            journal.variables.removeAll { $0.name == declaration.name && $0.layer == .taskSequence }
            let secret = declaration.value.isSecret || variables.isSecret(declaration.name)
            switch declaration.value {
            case .value(let value) where !secret:
                journal.variables.append(JournalVariable(name: declaration.name, layer: .taskSequence, value: value.reveal(), seal: nil, fromStep: pointer))
            default:
                journal.variables.append(JournalVariable(name: declaration.name, layer: .taskSequence, value: nil, seal: .program, fromStep: pointer))
            }
        }
    }

    private mutating func startStep(pointer: Int, attempt: Int, now: Double) -> [Action] {
        guard let index = recordIndex(pointer), let step = program.instructions[pointer].step else {
            return fail(from: min(max(pointer, 0), program.count - 1), now: now)
        }
        journal.phase = .running
        journal.pointer = pointer
        journal.attempt = attempt
        journal.retryAt = nil
        journal.steps[index].status = .running
        journal.steps[index].attempts = attempt
        journal.steps[index].message = nil
        if attempt == 1 || journal.steps[index].startedAt == nil { journal.steps[index].startedAt = now }
        journal.steps[index].finishedAt = nil
        variables.set(BuiltInVariable.currentActionName.rawValue, step.options.name, layer: .builtIn)
        variables.set(BuiltInVariable.instructionPointer.rawValue, String(pointer), layer: .builtIn)
        let deadline = step.timeoutSeconds.map { now + Double($0) }
        state = .running(pointer: pointer, attempt: attempt, deadline: deadline)
        return [.persist, .report(.stepStarted(pointer: pointer, attempt: attempt)), .runStep(pointer: pointer, attempt: attempt, deadline: deadline)]
    }

    private enum StepResult {
        case exited(Int32)
        case failed(String)
        case timedOut
    }

    private mutating func finishStep(pointer: Int, attempt: Int, result: StepResult, now: Double) -> [Action] {
        guard let step = program.instructions[pointer].step else { return fail(from: pointer, now: now) }
        let code: Int32?
        var raw: Int32?
        var message: String?
        switch result {
        case .exited(let status):
            code = step.type.spec.commandLike ? StepExitCode.normalized(status) : status
            if code != status { raw = status }
        case .failed(let text):
            code = nil
            message = text
        case .timedOut:
            code = nil
            message = "timed out after \(step.timeoutSeconds ?? 0) s"
        }
        let succeeded: Bool
        if let code { succeeded = step.type.spec.commandLike ? step.successCodes.contains(code) : code == 0 } else { succeeded = false }

        if !succeeded, attempt <= step.retry.count {
            if let index = recordIndex(pointer) {
                journal.steps[index].exitCode = code
                journal.steps[index].rawExitCode = raw
                journal.steps[index].message = message
            }
            let next = attempt + 1
            guard step.retry.delaySeconds > 0 else { return startStep(pointer: pointer, attempt: next, now: now) }
            let until = now + Double(step.retry.delaySeconds)
            state = .waitingRetry(pointer: pointer, attempt: next, until: until)
            journal.phase = .waitingRetry
            journal.attempt = next
            journal.retryAt = until
            return [.persist, .report(.retryScheduled(pointer: pointer, attempt: next, at: until))]
        }

        let status: StepRecord.Status
        if succeeded { status = .succeeded }
        else if case .timedOut = result { status = .timedOut }
        else { status = step.options.continueOnError ? .failedContinued : .failed }
        var actions = complete(pointer: pointer, attempt: attempt, code: code, raw: raw, status: status, message: message, now: now)
        if succeeded || step.options.continueOnError {
            journal.pointer = pointer + 1
            if succeeded, code == StepExitCode.successRebootRequired {
                if let index = recordIndex(pointer) { journal.steps[index].rebootRequested = true }
                return actions + reboot()
            }
            actions += advance(now: now)
            return actions
        }
        return actions + fail(from: pointer, now: now)
    }

    /// Records a finished step and sets `_TSLastAction*`.
    private mutating func complete(pointer: Int, attempt: Int, code: Int32?, raw: Int32?, status: StepRecord.Status,
                                   message: String?, now: Double) -> [Action] {
        let name = program.instructions[pointer].options.name
        if let index = recordIndex(pointer) {
            journal.steps[index].status = status
            journal.steps[index].attempts = attempt
            journal.steps[index].exitCode = code
            journal.steps[index].rawExitCode = raw
            journal.steps[index].message = message
            if journal.steps[index].startedAt == nil { journal.steps[index].startedAt = now }
            journal.steps[index].finishedAt = now
        }
        let succeeded = status == .succeeded
        journal.lastAction = Journal.LastAction(name: name, exitCode: code ?? -1, succeeded: succeeded)
        setLastAction()
        return [.report(.stepFinished(pointer: pointer, status: status, exitCode: code, attempts: attempt))]
    }

    mutating func setLastActionAfterRestore() { setLastAction() }

    private mutating func setLastAction() {
        guard let last = journal.lastAction else { return }
        variables.set(BuiltInVariable.lastActionRetCode.rawValue, String(last.exitCode), layer: .builtIn)
        variables.set(BuiltInVariable.lastActionSucceeded.rawValue, last.succeeded ? "true" : "false", layer: .builtIn)
        variables.set(BuiltInVariable.lastActionName.rawValue, last.name, layer: .builtIn)
    }

    private mutating func reboot() -> [Action] {
        journal.phase = .rebooting
        state = .rebooting
        return [.persist, .report(.rebooting(resumeAt: journal.pointer)), .reboot]
    }

    /// The failure of instruction `index` ends its group; the group's continueOnError decides.
    private mutating func fail(from index: Int, now: Double) -> [Action] {
        var failed = index
        while failed >= 0, failed < program.count, let parent = program.instructions[failed].parent {
            if program.instructions[parent].options.continueOnError {
                journal.pointer = program.after(parent)
                return advance(now: now)
            }
            failed = parent
        }
        journal.phase = .failed
        journal.failedAt = index
        state = .finished(.failure(at: index))
        return [.persist, .report(.finished(.failure(at: index))), .finish(.failure(at: index))]
    }

    // MARK: resume

    private mutating func resume(now: Double) -> [Action] {
        switch journal.phase {
        case .ready:
            journal.phase = .running
            return [.report(.started(sequence: program.name, instructions: program.count))] + advance(now: now)
        case .succeeded:
            state = .finished(.success)
            return [.finish(.success)]
        case .failed:
            let at = journal.failedAt ?? 0
            state = .finished(.failure(at: at))
            return [.finish(.failure(at: at))]
        case .rebooting:
            journal.phase = .running
            return [.report(.resumed(pointer: journal.pointer))] + advance(now: now)
        case .waitingRetry:
            let until = journal.retryAt ?? now
            if now >= until {
                return [.report(.resumed(pointer: journal.pointer))] + startStep(pointer: journal.pointer, attempt: journal.attempt, now: now)
            }
            state = .waitingRetry(pointer: journal.pointer, attempt: journal.attempt, until: until)
            return [.report(.resumed(pointer: journal.pointer)), .report(.retryScheduled(pointer: journal.pointer, attempt: journal.attempt, at: until))]
        case .running:
            if let interrupted = journal.interruptedStep {
                // Started, never finished: run it again as the next attempt (a destructive
                // step only gets here when the operator said so; `init(restoring:)` refuses).
                return [.report(.resumed(pointer: interrupted.pointer))]
                    + startStep(pointer: interrupted.pointer, attempt: interrupted.attempts + 1, now: now)
            }
            return [.report(.resumed(pointer: journal.pointer))] + advance(now: now)
        }
    }
}
