import Foundation
import Testing
@testable import TaskSequence

private func pointer(of id: String, in executor: Executor) throws -> Int {
    try #require(executor.program.instructions.firstIndex { $0.options.id == id })
}

private func record(_ id: String, _ executor: Executor) -> StepRecord? {
    executor.journal.steps.first { $0.id == id }
}

@Suite struct ExecutorTimeTests {
    @Test func retryWaitsForItsDelay() throws {
        let definition = try sequence("""
        name: r
        steps:
          - {type: installSoftware, id: flaky, package: p, retry: {count: 2, delay: 30s}}
        """)
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        let start = executor.handle(.started(now: 100))
        #expect(start.last == .runStep(pointer: 0, attempt: 1, deadline: nil))
        #expect(start.contains(.persist))
        let failed = executor.handle(.stepFinished(pointer: 0, attempt: 1, exitCode: 1, now: 110))
        #expect(failed == [.persist, .report(.retryScheduled(pointer: 0, attempt: 2, at: 140))])
        #expect(executor.nextDeadline == 140)
        #expect(executor.journal.phase == .waitingRetry)
        // Too early: nothing happens.
        #expect(executor.handle(.deadlineReached(now: 139.9)).isEmpty)
        let second = executor.handle(.deadlineReached(now: 140))
        #expect(second.last == .runStep(pointer: 0, attempt: 2, deadline: nil))
        #expect(executor.handle(.stepFinished(pointer: 0, attempt: 2, exitCode: 0, now: 141)).contains(.report(.stepFinished(pointer: 0, status: .succeeded, exitCode: 0, attempts: 2))))
        #expect(record("flaky", executor)?.attempts == 2)
    }

    @Test func timeoutCancelsTheStepAndIgnoresItsLateResult() throws {
        let definition = try sequence("name: t\nsteps: [{type: installSoftware, id: a, package: p, timeout: 5, continueOnError: true}]")
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        #expect(executor.handle(.started(now: 10)).last == .runStep(pointer: 0, attempt: 1, deadline: 15))
        #expect(executor.nextDeadline == 15)
        #expect(executor.handle(.deadlineReached(now: 14)).isEmpty)
        let fired = executor.handle(.deadlineReached(now: 15))
        #expect(fired.first == .cancelStep(pointer: 0, attempt: 1))
        #expect(fired.contains(.report(.stepFinished(pointer: 0, status: .timedOut, exitCode: nil, attempts: 1))))
        #expect(fired.last == .runStep(pointer: 1, attempt: 1, deadline: nil))
        #expect(executor.variables.text(BuiltInVariable.lastActionSucceeded.name) == "false")
        // The cancelled attempt's exit status arrives late: ignored.
        #expect(executor.handle(.stepFinished(pointer: 0, attempt: 1, exitCode: 0, now: 16)).isEmpty)
        #expect(record("a", executor)?.status == .timedOut)
        #expect(executor.handle(.stepFinished(pointer: 1, attempt: 1, exitCode: 0, now: 17)).last == .finish(.success))
    }

    @Test func timeoutWithoutContinueFailsAndRetriesFirst() throws {
        let definition = try sequence("name: t\nsteps: [{type: runScript, id: a, package: p, script: s, timeout: 5, retry: 1}]")
        var simulation = Simulation(program: Program(definition), variables: VariableEnvironment())
        // Never answer: every attempt times out.
        var executor = simulation.executor
        _ = executor.handle(.started(now: 0))
        #expect(executor.handle(.deadlineReached(now: 5)).last == .runStep(pointer: 0, attempt: 2, deadline: 10))
        #expect(executor.handle(.deadlineReached(now: 10)).last == .finish(.failure(at: 0)))
        #expect(executor.journal.phase == .failed)
        simulation.executor = executor
    }

    @Test func stepThatCannotRunFailsWithItsMessage() throws {
        let definition = try sequence("name: t\nsteps: [{type: installSoftware, id: a, package: p}]")
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        _ = executor.handle(.started(now: 0))
        let actions = executor.handle(.stepFailed(pointer: 0, attempt: 1, message: "package 'p' not found", now: 1))
        #expect(actions.last == .finish(.failure(at: 0)))
        #expect(record("a", executor)?.message == "package 'p' not found")
        #expect(record("a", executor)?.exitCode == nil)
    }
}

@Suite struct ExecutorRebootTests {
    @Test func exit3010SucceedsAndRebootsBeforeTheNextStep() throws {
        let definition = try sequence("""
        name: r
        steps:
          - {type: installSoftware, id: a, package: p}
          - {type: installSoftware, id: b, package: p}
        """)
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        _ = executor.handle(.started(now: 0))
        let actions = executor.handle(.stepFinished(pointer: 0, attempt: 1, exitCode: 3010, now: 1))
        #expect(actions == [.report(.stepFinished(pointer: 0, status: .succeeded, exitCode: 3010, attempts: 1)),
                            .persist, .report(.rebooting(resumeAt: 1)), .reboot])
        #expect(executor.journal.phase == .rebooting && executor.journal.pointer == 1)
        #expect(record("a", executor)?.rebootRequested == true)
    }

    @Test func scriptExit194IsShownAs3010() throws {
        let definition = try sequence("name: r\nsteps: [{type: runScript, id: a, package: p, script: s}]")
        var simulation = Simulation(program: Program(definition), variables: VariableEnvironment(), exitCodes: ["a": [194]])
        #expect(simulation.runToEnd() == .success)
        #expect(simulation.reboots == 1)
        let a = try #require(record("a", simulation.executor))
        #expect(a.exitCode == 3010 && a.rawExitCode == 194 && a.status == .succeeded && a.rebootRequested)
        #expect(simulation.ran == ["a", "installClient"])
    }

    @Test func restartStepPersistsRebootsAndResumesAfterIt() throws {
        let definition = try sequence("""
        name: r
        steps:
          - {type: installSoftware, id: before, package: p}
          - {type: restart, id: restart}
          - {type: installSoftware, id: after, package: p}
        """)
        var simulation = Simulation(program: Program(definition), variables: VariableEnvironment())
        #expect(simulation.runToEnd() == .success)
        #expect(simulation.ran == ["before", "after", "installClient"])
        #expect(simulation.reboots == 1)
        // The journal written just before the reboot already points past the restart step.
        let beforeReboot = try #require(simulation.journals.first { $0.phase == .rebooting })
        #expect(beforeReboot.pointer == 2)
        #expect(beforeReboot.steps.first { $0.id == "restart" }?.status == .succeeded)
        #expect(simulation.reports.contains(.resumed(pointer: 2)))
    }
}

@Suite struct ExecutorConditionTests {
    @Test func conditionsSeeVariablesSetByEarlierSteps() throws {
        let definition = try sequence("""
        name: c
        variables: {Role: unknown}
        steps:
          - {type: runScript, id: detect, package: p, script: s}
          - type: installSoftware
            id: web
            name: web
            package: p
            condition: {if: {all: [{variable: Role, equals: web}]}}
          - type: installSoftware
            id: db
            package: p
            condition: {if: {all: [{variable: Role, equals: db}]}}
          - type: installSoftware
            id: afterWeb
            package: p
            condition: {if: {all: [{variable: _TSLastActionName, equals: web}]}}
        """)
        var env = VariableEnvironment()
        for declaration in definition.variables { env.set(declaration.name, declaration.value, layer: .taskSequence) }
        var simulation = Simulation(program: Program(definition), variables: env)
        simulation.whileRunning = { executor, id in
            if id == "detect" { try? executor.setRunning(VariableName("role"), "web") }
        }
        #expect(simulation.runToEnd() == .success)
        #expect(simulation.ran == ["detect", "web", "afterWeb", "installClient"])
        #expect(record("db", simulation.executor)?.status == .skippedByCondition)
        // Without the script's value the plan's value decides.
        var plain = Simulation(program: Program(definition), variables: env)
        #expect(plain.runToEnd() == .success)
        #expect(plain.ran == ["detect", "installClient"])
    }

    @Test func skippedAndDisabledAreRecordedAsSuch() throws {
        let definition = try sequence("""
        name: s
        steps:
          - type: group
            id: off
            disabled: true
            steps: [{type: installSoftware, id: inOff, package: p}]
          - type: group
            id: never
            condition: {if: {all: [{variable: Nope, exists: true}]}}
            steps: [{type: installSoftware, id: inNever, package: p}]
          - {type: installSoftware, id: a, package: p}
        """)
        let result = run(definition)
        #expect(result.ran == ["a", "installClient"])
        #expect(record("inOff", result.executor)?.status == .disabled)
        #expect(record("inNever", result.executor)?.status == .skippedByCondition)
    }

    @Test func readOnlyBuiltInsCannotBeSet() throws {
        let definition = try sequence("name: r\nsteps: [{type: restart}]")
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        #expect(throws: Executor.SetRefusal.readOnly(VariableName("_TSModel"))) { try executor.setRunning(VariableName("_TSModel"), "x") }
        #expect(throws: Executor.SetRefusal.invalidName("1abc")) { try executor.setRunning(VariableName("1abc"), "x") }
    }

    private func run(_ definition: TaskSequenceDefinition) -> (ran: [String], executor: Executor) {
        var simulation = Simulation(program: Program(definition), variables: VariableEnvironment())
        _ = simulation.runToEnd()
        return (simulation.ran, simulation.executor)
    }
}

/// A journal persisted at any point resumes to the same end as the run that was not stopped.
@Suite struct ExecutorResumeTests {
    static let yaml = """
    name: resume
    variables: {Site: lab}
    steps:
      - type: setVariables
        id: set
        variables:
          Mode: fast
          Key: {value: k-sealed-777, secret: true}
      - type: group
        id: g
        continueOnError: true
        steps:
          - {type: installSoftware, id: g1, package: p}
          - {type: installSoftware, id: g2, package: p}
          - {type: installSoftware, id: g3, package: p}
      - {type: runScript, id: flaky, package: p, script: s, retry: {count: 1, delay: 10s}}
      - {type: restart, id: restart}
      - type: installSoftware
        id: fastOnly
        package: p
        condition: {if: {all: [{variable: Mode, equals: fast}]}}
      - {type: installSoftware, id: last, package: p}
    """
    static let codes: [String: [Int32]] = ["g2": [4, 4], "flaky": [1, 0, 0]]

    @Test func resumeFromEveryPersistedJournal() throws {
        let definition = try sequence(Self.yaml)
        let program = Program(definition)
        var reference = Simulation(program: program, variables: VariableEnvironment(), exitCodes: Self.codes)
        #expect(reference.runToEnd() == .success)
        #expect(reference.ran == ["g1", "g2", "flaky", "flaky", "fastOnly", "last", "installClient"])
        let finalStatuses = reference.executor.journal.steps.map(\.status)
        #expect(reference.journals.count > 8)

        for (index, journal) in reference.journals.enumerated() {
            // The machine died right after this write: decode it as the runner would.
            let data = try JSONEncoder().encode(journal)
            let readBack = try JSONDecoder().decode(Journal.self, from: data)
            #expect(readBack == journal)
            guard readBack.phase != .succeeded else { continue }
            let restored = try Executor(restoring: readBack, program: program, variables: VariableEnvironment(),
                                        secrets: [:], retryInterruptedStep: false)
            var simulation = Simulation(program: program, variables: VariableEnvironment())
            simulation.executor = restored
            simulation.now = reference.now
            simulation.exitCodes = Self.codes
            let outcome = simulation.runToEnd(first: .resumed(now: reference.now))
            #expect(outcome == .success, "resume from journal \(index) (\(readBack.phase) at \(readBack.pointer))")
            #expect(simulation.executor.journal.steps.map(\.status) == finalStatuses, "journal \(index)")
            #expect(simulation.executor.variables.text(VariableName("Key")) == "k-sealed-777")
            // Steps finished before the stop never run again; an interrupted one runs once more.
            let finishedBefore = Set(readBack.steps.filter { $0.status != .notRun && $0.status != .running }.compactMap(\.id))
            #expect(Set(simulation.ran).isDisjoint(with: finishedBefore.subtracting(["flaky"])), "journal \(index)")
        }
    }

    @Test func interruptedDestructiveStepIsNotRerunSilently() throws {
        let definition = try sequence("""
        name: d
        steps:
          - {type: applyImage, id: apply, name: apply, image: base}
          - {type: installSoftware, id: after, package: p}
        """)
        let program = Program(definition)
        var executor = Executor(program: program, variables: VariableEnvironment())
        _ = executor.handle(.started(now: 0))
        let journal = executor.journal
        #expect(journal.interruptedStep?.id == "apply")
        #expect(throws: ResumeRefusal.interruptedDestructiveStep(name: "apply", pointer: 0)) {
            try Executor(restoring: journal, program: program, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: false)
        }
        var retried = try Executor(restoring: journal, program: program, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: true)
        #expect(retried.handle(.resumed(now: 5)).last == .runStep(pointer: 0, attempt: 2, deadline: nil))
    }

    @Test func interruptedPlainStepRunsAgain() throws {
        let definition = try sequence("name: p\nsteps: [{type: installSoftware, id: a, package: p}]")
        let program = Program(definition)
        var executor = Executor(program: program, variables: VariableEnvironment())
        _ = executor.handle(.started(now: 0))
        var restored = try Executor(restoring: executor.journal, program: program, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: false)
        #expect(restored.handle(.resumed(now: 1)).last == .runStep(pointer: 0, attempt: 2, deadline: nil))
    }

    @Test func changedSequenceAndDamagedJournalAreRefused() throws {
        let program = Program(try sequence("name: p\nsteps: [{type: installSoftware, id: a, package: p}]"))
        let other = Program(try sequence("name: p\nsteps: [{type: installSoftware, id: b, package: p}]"))
        var executor = Executor(program: program, variables: VariableEnvironment())
        _ = executor.handle(.started(now: 0))
        let journal = executor.journal
        #expect(throws: ResumeRefusal.self) {
            try Executor(restoring: journal, program: other, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: false)
        }
        var outOfRange = journal
        outOfRange.pointer = 99
        #expect(throws: ResumeRefusal.inconsistent("instruction pointer 99 outside 0…2")) {
            try Executor(restoring: outOfRange, program: program, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: false)
        }
        var wrongSteps = journal
        wrongSteps.steps.removeLast()
        #expect(throws: ResumeRefusal.inconsistent("its steps do not match the sequence's")) {
            try Executor(restoring: wrongSteps, program: program, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: false)
        }
        var newer = journal
        newer.version = 99
        #expect(throws: ResumeRefusal.unsupportedVersion(99)) {
            try Executor(restoring: newer, program: program, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: false)
        }
    }

    @Test func journalHoldsNoSecretAndAsksForSealedInputsAgain() throws {
        let definition = try sequence(Self.yaml)
        let program = Program(definition)
        var executor = Executor(program: program, variables: VariableEnvironment())
        try executor.setInput(VariableName("PmmOSDJoinPassword"), "join-secret-4242")
        try executor.setInput(VariableName("Token"), "token-secret-5151", secret: true)
        try executor.setInput(VariableName("Owner"), "alice")
        _ = executor.handle(.started(now: 0))
        try executor.setRunning(VariableName("OSDCaptureAccount"), "plain-account")
        let text = String(decoding: try JSONEncoder().encode(executor.journal), as: UTF8.self)
        for secret in ["join-secret-4242", "token-secret-5151", "k-sealed-777", "***"] {
            #expect(!text.contains(secret), "journal holds \(secret)")
        }
        #expect(text.contains("alice") && text.contains("plain-account"))
        #expect(Executor.sealedInputs(of: executor.journal).map(\.spelling).sorted() == ["PmmOSDJoinPassword", "Token"])
        #expect(throws: ResumeRefusal.missingSecrets(["PmmOSDJoinPassword", "Token"])) {
            try Executor(restoring: executor.journal, program: program, variables: VariableEnvironment(), secrets: [:], retryInterruptedStep: false)
        }
        let restored = try Executor(restoring: executor.journal, program: program, variables: VariableEnvironment(),
                                    secrets: [VariableName("PmmOSDJoinPassword"): "join-secret-4242", VariableName("Token"): "token-secret-5151"],
                                    retryInterruptedStep: false)
        guard case .value(let token, .running) = restored.variables.lookup(VariableName("token")) else { Issue.record("Token lost"); return }
        #expect(token.isSecret && token.reveal() == "token-secret-5151")
        #expect(restored.variables.text(VariableName("Owner")) == "alice")
        #expect(restored.variables.text(VariableName("Key")) == "k-sealed-777")
    }

    @Test func unexpectedEventsChangeNothing() throws {
        let definition = try sequence("name: t\nsteps:\n  - type: group\n    steps: [{type: installSoftware, id: a, package: p}]")
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        #expect(executor.handle(.stepFinished(pointer: 1, attempt: 1, exitCode: 1, now: 0)).isEmpty)
        #expect(executor.handle(.deadlineReached(now: 0)).isEmpty)
        #expect(executor.handle(.started(now: 0)).last == .runStep(pointer: 1, attempt: 1, deadline: nil))
        #expect(executor.handle(.started(now: 0)).isEmpty)
        #expect(executor.handle(.stepFinished(pointer: 1, attempt: 2, exitCode: 1, now: 0)).isEmpty)
        #expect(executor.handle(.stepFinished(pointer: 3, attempt: 1, exitCode: 1, now: 0)).isEmpty)
        #expect(executor.handle(.stepFinished(pointer: 1, attempt: 1, exitCode: 0, now: 0)).last == .runStep(pointer: 3, attempt: 1, deadline: nil))
        #expect(executor.handle(.stepFinished(pointer: 3, attempt: 1, exitCode: 0, now: 0)).last == .finish(.success))
        #expect(executor.handle(.stepFinished(pointer: 3, attempt: 1, exitCode: 0, now: 0)).isEmpty)
    }
}
