/// The run-side state machine over a `Program`: events in, actions out, no I/O and no clock.
/// Drivers (next issue) run the steps it asks for and feed back exit codes.
///
/// Error semantics are the seed's (L4872-4878: "To continue to the next task sequence step
/// outside the group when one of the steps within a group fails, select the Continue on error
/// option … if … you want to continue to the next step in the same group, the [failing] step must
/// have Continue on error selected") and SCCM's (engines §1.4): a failing step without
/// continueOnError ends its group; if that group has continueOnError the run resumes after the
/// group, otherwise the group has failed and the same rule applies one level up; at the top
/// level the sequence fails.
public struct Executor: Sendable {
    public enum Event: Sendable, Equatable {
        case start
        case stepFinished(exitCode: Int32)
        /// The driver gave up on the step (timeout, could not start).
        case stepTimedOut
    }

    public enum Outcome: Sendable, Equatable {
        case success
        /// The sequence failed; `at` is the instruction whose failure ended it.
        case failure(at: Int)
    }

    public enum Action: Sendable, Equatable {
        /// Run the step at `pointer`; `attempt` counts from 1 (retries).
        case runStep(pointer: Int, attempt: Int)
        case finished(Outcome)
    }

    public let program: Program
    /// The next instruction to look at; persisted with the variables for resume.
    public private(set) var pointer: Int = 0
    public private(set) var attempt: Int = 1
    public private(set) var outcome: Outcome?
    public private(set) var variables: VariableEnvironment
    /// Every instruction that ran, with its exit code (for tests and reports).
    public private(set) var history: [(pointer: Int, exitCode: Int32)] = []

    public init(program: Program, variables: VariableEnvironment) {
        self.program = program
        self.variables = variables
        self.variables.set(BuiltInVariable.instructionTableSize.rawValue, String(program.count), layer: .builtIn)
        self.variables.set(BuiltInVariable.sequenceName.rawValue, program.name, layer: .builtIn)
    }

    /// Whether a `runStep` is outstanding (a driver owes a `stepFinished`/`stepTimedOut`).
    public private(set) var awaitingStep = false

    public mutating func handle(_ event: Event) -> Action {
        if let outcome { return .finished(outcome) }
        switch event {
        case .start:
            // A repeated start while a step runs asks for that step again (e.g. after a restart).
            if awaitingStep { return .runStep(pointer: pointer, attempt: attempt) }
            return settle(advance())
        case .stepFinished(let code):
            // A result nobody asked for (before start) is ignored: the run simply starts.
            guard awaitingStep else { return settle(advance()) }
            return settle(finishStep(code: code, timedOut: false))
        case .stepTimedOut:
            guard awaitingStep else { return settle(advance()) }
            return settle(finishStep(code: -1, timedOut: true))
        }
    }

    /// Records whether the returned action leaves a step outstanding.
    private mutating func settle(_ action: Action) -> Action {
        if case .runStep = action { awaitingStep = true } else { awaitingStep = false }
        return action
    }

    /// A variable set while running (`tsvar --set`), the highest layer. An empty value deletes
    /// it (SCCM `MS-UTV`). Read-only built-ins cannot be set.
    @discardableResult
    public mutating func setRunning(_ name: VariableName, _ text: String, secret: Bool = false) -> Bool {
        guard !name.isReadOnly else { return false }
        if text.isEmpty { variables.remove(name, layer: .running) }
        else { variables.set(name, .value(VariableValue(text, secret: secret || StepCatalog.secretVariables.contains(name))), layer: .running) }
        return true
    }

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

    /// Walks forward to the next step to run, skipping disabled items and false conditions
    /// (skips leave `_TSLastAction*` untouched, as SCCM's `_SMSTSLastActionSucceeded`).
    private mutating func advance() -> Action {
        while pointer < program.count {
            let instruction = program.instructions[pointer]
            switch instruction.kind {
            case .endGroup:
                pointer += 1
            case .beginGroup(let end):
                if instruction.options.disabled || !truth(instruction.options.condition) { pointer = end + 1 }
                else { pointer += 1 }
            case .step:
                guard let step = instruction.step, !instruction.options.disabled, truth(instruction.options.condition) else {
                    pointer += 1
                    continue
                }
                variables.set(BuiltInVariable.currentActionName.rawValue, instruction.options.name, layer: .builtIn)
                variables.set(BuiltInVariable.instructionPointer.rawValue, String(pointer), layer: .builtIn)
                if step.type == .setVariables {
                    // Run by the engine itself: the values join the task-sequence layer.
                    for declaration in step.variables {
                        variables.set(declaration.name, declaration.value, layer: .taskSequence)
                    }
                    record(code: 0, succeeded: true, name: instruction.options.name)
                    pointer += 1
                    continue
                }
                attempt = 1
                return .runStep(pointer: pointer, attempt: attempt)
            }
        }
        outcome = .success
        return .finished(.success)
    }

    private mutating func record(code: Int32, succeeded: Bool, name: String) {
        history.append((pointer, code))
        variables.set(BuiltInVariable.lastActionRetCode.rawValue, String(code), layer: .builtIn)
        variables.set(BuiltInVariable.lastActionSucceeded.rawValue, succeeded ? "true" : "false", layer: .builtIn)
        variables.set(BuiltInVariable.lastActionName.rawValue, name, layer: .builtIn)
    }

    private mutating func finishStep(code: Int32, timedOut: Bool) -> Action {
        guard pointer < program.count, let step = program.instructions[pointer].step else {
            outcome = .failure(at: min(pointer, program.count - 1))
            return .finished(outcome ?? .failure(at: 0))
        }
        let succeeded = !timedOut && (step.type.spec.commandLike ? step.successCodes.contains(code) : code == 0)
        if !succeeded, attempt <= step.retry.count {
            attempt += 1
            return .runStep(pointer: pointer, attempt: attempt)
        }
        record(code: code, succeeded: succeeded, name: step.options.name)
        if succeeded || step.options.continueOnError {
            pointer += 1
            return advance()
        }
        return fail(from: pointer)
    }

    /// The failure of instruction `index` ends its group; the group's continueOnError decides.
    private mutating func fail(from index: Int) -> Action {
        var failed = index
        while let parent = program.instructions[failed].parent {
            if program.instructions[parent].options.continueOnError {
                pointer = program.after(parent)
                return advance()
            }
            failed = parent
        }
        outcome = .failure(at: index)
        return .finished(.failure(at: index))
    }
}
