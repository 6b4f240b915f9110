/// Why a journal cannot be resumed. Each says what to do about it.
public enum ResumeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupportedVersion(Int)
    /// The sequence was changed (or is another one) since the journal was written.
    case programChanged(journal: String, program: String)
    /// The journal does not match its own program (pointers, steps): damaged or edited.
    case inconsistent(String)
    /// A destructive step (apply image, capture) started and never finished.
    case interruptedDestructiveStep(name: String, pointer: Int)
    /// Secret values sealed in the journal that nobody gave again.
    case missingSecrets([String])

    public var description: String {
        switch self {
        case .unsupportedVersion(let version):
            return "the journal has layout version \(version); this runner reads version \(Journal.currentVersion)"
        case .programChanged(let journal, let program):
            return "the sequence changed since the run started (journal \(journal), sequence now \(program)); start a new run"
        case .inconsistent(let reason):
            return "the journal is inconsistent (\(reason)); nothing was run"
        case .interruptedDestructiveStep(let name, let pointer):
            return "step \(pointer) '\(name)' overwrites a disk and was started but never finished; check the target, then resume with --retry-step to run it again"
        case .missingSecrets(let names):
            return "secret values are needed again after the restart: \(names.joined(separator: ", ")) (give them with --var-file or on a terminal)"
        }
    }
}

extension Executor {
    /// Restores a run from its journal. `variables` holds the layers below the running one,
    /// built again from the same plan and inputs; `secrets` are the sealed `input`/`script`
    /// values given again by the operator. Refuses (never guesses) when the journal does not
    /// belong to `program`, is inconsistent, lacks secrets, or stopped inside a destructive
    /// step and `retryInterruptedStep` is false.
    public init(restoring journal: Journal, program: Program, variables base: VariableEnvironment,
                secrets: [VariableName: String], retryInterruptedStep: Bool) throws(ResumeRefusal) {
        guard journal.version == Journal.currentVersion else { throw .unsupportedVersion(journal.version) }
        guard journal.programFingerprint == program.fingerprint else {
            throw .programChanged(journal: journal.programFingerprint, program: program.fingerprint)
        }
        self.init(program: program, variables: base)
        let expected = self.journal.steps.map(\.pointer)
        guard journal.steps.map(\.pointer) == expected,
              zip(journal.steps, self.journal.steps).allSatisfy({ $0.type == $1.type }) else {
            throw .inconsistent("its steps do not match the sequence's")
        }
        guard journal.pointer >= 0, journal.pointer <= program.count, journal.attempt >= 1 else {
            throw .inconsistent("instruction pointer \(journal.pointer) outside 0…\(program.count)")
        }
        let running = journal.steps.filter { $0.status == .running }
        guard running.count <= 1, running.allSatisfy({ $0.attempts >= 1 }) else {
            throw .inconsistent("\(running.count) steps marked running")
        }
        if let interrupted = journal.interruptedStep, interrupted.type.spec.destructive, !retryInterruptedStep {
            throw .interruptedDestructiveStep(name: interrupted.name, pointer: interrupted.pointer)
        }

        var missing: [String] = []
        for entry in journal.variables {
            switch (entry.value, entry.seal) {
            case (let value?, _):
                variables.set(entry.name, .value(.plain(value)), layer: entry.layer)
            case (nil, nil):
                variables.remove(entry.name, layer: entry.layer)
            case (nil, .program?):
                let declaration = entry.fromStep.flatMap { step -> VariableDeclaration? in
                    guard step >= 0, step < program.count else { return nil }
                    return program.instructions[step].step?.variables.first { $0.name == entry.name }
                }
                guard let declaration else { throw .inconsistent("sealed variable \(entry.name) has no Set Variables step") }
                variables.set(entry.name, declaration.value, layer: entry.layer)
            case (nil, .input?), (nil, .script?):
                guard let text = secrets[entry.name] else {
                    missing.append(entry.name.spelling)
                    continue
                }
                variables.set(entry.name, .value(.secret(Secret(text))), layer: entry.layer)
            }
        }
        guard missing.isEmpty else { throw .missingSecrets(missing) }
        self.journal = journal
        setLastActionAfterRestore()
    }

    /// Names of secrets a journal needs given again before `init(restoring:)` succeeds.
    public static func sealedInputs(of journal: Journal) -> [VariableName] {
        journal.variables.filter { $0.value == nil && ($0.seal == .input || $0.seal == .script) }.map(\.name)
    }
}
