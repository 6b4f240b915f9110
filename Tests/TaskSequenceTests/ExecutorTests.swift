import Testing
@testable import TaskSequence

/// Drives an executor like the runner does, answering attempt n of each `runStep` with the
/// n-th exit code given for that step id (0 when not listed), and, on `reboot`, restoring a new executor from the
/// last persisted journal (a real restart). Returns the ids that ran, in order, and the outcome.
private func run(_ definition: TaskSequenceDefinition, exitCodes: [String: [Int32]] = [:],
                 variables: VariableEnvironment = VariableEnvironment()) -> (ran: [String], outcome: Executor.Outcome?, executor: Executor) {
    var simulation = Simulation(program: Program(definition), variables: variables, exitCodes: exitCodes)
    let outcome = simulation.runToEnd()
    return (simulation.ran, outcome, simulation.executor)
}

/// The runner's loop without I/O: time advances only when the executor waits.
struct Simulation {
    var executor: Executor
    let base: VariableEnvironment
    var exitCodes: [String: [Int32]]
    var now: Double = 1000
    var ran: [String] = []
    /// Every persisted journal, in order.
    var journals: [Journal] = []
    var reports: [RunReport] = []
    var reboots = 0
    /// Called while a step "runs" (a script using tsvar).
    var whileRunning: (inout Executor, String) -> Void = { _, _ in }

    init(program: Program, variables: VariableEnvironment, exitCodes: [String: [Int32]] = [:]) {
        executor = Executor(program: program, variables: variables)
        base = variables
        self.exitCodes = exitCodes
    }

    /// Feeds actions until the run finishes; nil when it loops (a bug).
    mutating func runToEnd(first: Executor.Event? = nil) -> Executor.Outcome? {
        var pending = executor.handle(first ?? .started(now: now))
        for _ in 0..<10_000 {
            var next: [Executor.Action] = []
            for action in pending {
                switch action {
                case .persist:
                    journals.append(executor.journal)
                case .report(let report):
                    reports.append(report)
                case .runStep(let pointer, let attempt, _):
                    let id = executor.program.instructions[pointer].options.id ?? "?"
                    ran.append(id)
                    whileRunning(&executor, id)
                    // The code for this attempt: attempt n gets the n-th listed code, else 0.
                    let codes = exitCodes[id] ?? []
                    let code = attempt <= codes.count ? codes[attempt - 1] : 0
                    next += executor.handle(.stepFinished(pointer: pointer, attempt: attempt, exitCode: code, now: now))
                case .cancelStep:
                    break
                case .reboot:
                    reboots += 1
                    guard let last = journals.last,
                          let restored = try? Executor(restoring: last, program: executor.program, variables: base,
                                                       secrets: [:], retryInterruptedStep: false) else { return nil }
                    executor = restored
                    next += executor.handle(.resumed(now: now))
                case .finish(let outcome):
                    return outcome
                }
            }
            if next.isEmpty, let deadline = executor.nextDeadline {
                now = max(now, deadline)
                next = executor.handle(.deadlineReached(now: now))
            }
            guard !next.isEmpty else { return executor.outcome }
            pending = next
        }
        return nil
    }
}

/// SCCM's worked example (planning-considerations-for-automating-tasks, engines §1.4):
/// Group 1 continueOnError set; Step 1 set; Steps 2, 3 not set; Group 2 not set; Steps 4-6.
private let worked = """
name: SCCM worked example
steps:
  - type: group
    id: group1
    continueOnError: true
    steps:
      - {type: installSoftware, id: step1, package: p1, continueOnError: true}
      - {type: installSoftware, id: step2, package: p2}
      - {type: installSoftware, id: step3, package: p3}
  - type: group
    id: group2
    steps:
      - {type: installSoftware, id: step4, package: p4}
      - {type: installSoftware, id: step5, package: p5}
      - {type: installSoftware, id: step6, package: p6}
"""

@Suite struct SCCMWorkedTableTests {
    @Test func nothingFails() throws {
        let result = run(try sequence(worked))
        #expect(result.ran == ["step1", "step2", "step3", "step4", "step5", "step6", "installClient"])
        #expect(result.outcome == .success)
    }

    @Test func step1FailsContinueWithStep2() throws {
        let result = run(try sequence(worked), exitCodes: ["step1": [1]])
        #expect(result.ran == ["step1", "step2", "step3", "step4", "step5", "step6", "installClient"])
        #expect(result.outcome == .success)
    }

    @Test func step2FailsSkipsStep3AndResumesAtGroup2() throws {
        let result = run(try sequence(worked), exitCodes: ["step2": [1]])
        #expect(result.ran == ["step1", "step2", "step4", "step5", "step6", "installClient"])
        #expect(result.outcome == .success)
        // The failure stays visible in the journal, and step3 never ran.
        let records = result.executor.journal.steps
        #expect(records.first { $0.id == "step2" }?.status == .failed)
        #expect(records.first { $0.id == "step2" }?.exitCode == 1)
        #expect(records.first { $0.id == "step3" }?.status == .notRun)
    }

    @Test func step4FailsTheSequence() throws {
        let definition = try sequence(worked)
        let result = run(definition, exitCodes: ["step4": [1]])
        #expect(result.ran == ["step1", "step2", "step3", "step4"])
        let step4 = Program(definition).instructions.firstIndex { $0.options.id == "step4" }
        #expect(result.outcome == .failure(at: try #require(step4)))
        #expect(result.executor.variables.text(BuiltInVariable.lastActionSucceeded.name) == "false")
        #expect(result.executor.variables.text(BuiltInVariable.lastActionRetCode.name) == "1")
    }

    @Test func step1AndStep2FailBothContained() throws {
        let result = run(try sequence(worked), exitCodes: ["step1": [5], "step2": [6]])
        #expect(result.ran == ["step1", "step2", "step4", "step5", "step6", "installClient"])
        #expect(result.outcome == .success)
    }
}

@Suite struct GroupSemanticsTests {
    @Test func topLevelStepFailureFailsTheSequence() throws {
        let result = run(try sequence("name: t\nsteps:\n  - {type: installSoftware, id: a, package: p}\n  - {type: restart, id: b}"),
                         exitCodes: ["a": [2]])
        #expect(result.ran == ["a"])
        #expect(result.outcome == .failure(at: 0))
    }

    @Test func failurePropagatesThroughNestedGroupsUntilOneContinues() throws {
        let definition = try sequence("""
        name: nested
        steps:
          - type: group
            id: outer
            continueOnError: true
            steps:
              - type: group
                id: inner
                steps:
                  - {type: installSoftware, id: a, package: p}
                  - {type: installSoftware, id: b, package: p}
              - {type: installSoftware, id: c, package: p}
          - {type: installSoftware, id: d, package: p}
        """)
        // a fails: inner (no continueOnError) fails, so outer is left; outer continues: d runs.
        let result = run(definition, exitCodes: ["a": [1]])
        #expect(result.ran == ["a", "d", "installClient"])
        #expect(result.outcome == .success)
    }

    @Test func innerGroupContinuesWithinOuterGroup() throws {
        let definition = try sequence("""
        name: nested
        steps:
          - type: group
            id: outer
            steps:
              - type: group
                id: inner
                continueOnError: true
                steps:
                  - {type: installSoftware, id: a, package: p}
                  - {type: installSoftware, id: b, package: p}
              - {type: installSoftware, id: c, package: p}
        """)
        let result = run(definition, exitCodes: ["a": [1]])
        #expect(result.ran == ["a", "c", "installClient"])
        #expect(result.outcome == .success)
    }

    @Test func disabledAndFalseConditionsSkipWithoutTouchingLastAction() throws {
        let definition = try sequence("""
        name: skips
        variables: {Site: lab}
        steps:
          - {type: installSoftware, id: a, package: p, continueOnError: true}
          - type: group
            id: off
            disabled: true
            steps:
              - {type: installSoftware, id: never1, package: p}
          - type: installSoftware
            id: never2
            package: p
            condition: {if: {all: [{variable: Site, equals: office}]}}
          - type: installSoftware
            id: onFailure
            package: p
            condition: {if: {all: [{variable: _TSLastActionSucceeded, equals: "false"}]}}
        """)
        let result = run(definition, exitCodes: ["a": [7]])
        // Skipped items do not reset _TSLastActionSucceeded, so onFailure sees a's failure.
        #expect(result.ran == ["a", "onFailure", "installClient"])
        #expect(result.outcome == .success)
    }

    @Test func successCodesAndRetry() throws {
        let definition = try sequence("""
        name: codes
        steps:
          - {type: installSoftware, id: reboots, package: p}
          - {type: runScript, id: custom, package: p, script: s, successCodes: [42]}
          - {type: installSoftware, id: flaky, package: p, retry: 2}
        """)
        // 3010 is a default success code; 42 succeeds where listed; flaky fails twice then passes.
        let result = run(definition, exitCodes: ["reboots": [3010], "custom": [42], "flaky": [1, 1, 0]])
        #expect(result.ran == ["reboots", "custom", "flaky", "flaky", "flaky", "installClient"])
        #expect(result.outcome == .success)
        let notListed = run(definition, exitCodes: ["custom": [0]])
        #expect(notListed.outcome == .failure(at: 1))
        let exhausted = run(definition, exitCodes: ["custom": [42], "flaky": [1, 1, 1]])
        #expect(exhausted.ran == ["reboots", "custom", "flaky", "flaky", "flaky"])
        #expect(exhausted.outcome == .failure(at: 2))
    }

    @Test func setVariablesRunsInTheEngineAndFeedsLaterConditions() throws {
        let definition = try sequence("""
        name: sv
        steps:
          - type: setVariables
            id: set
            variables: {Mode: fast}
          - type: installSoftware
            id: fast
            package: p
            condition: {if: {all: [{variable: Mode, equals: fast}]}}
          - type: installSoftware
            id: slow
            package: p
            condition: {if: {all: [{variable: Mode, equals: slow}]}}
        """)
        var env = VariableEnvironment()
        env.set("Mode", "slow", layer: .device)
        let result = run(definition, variables: env)
        #expect(result.ran == ["fast", "installClient"])
        #expect(result.executor.variables.lookup(VariableName("mode")) == .value(.plain("fast"), layer: .taskSequence))
    }

    @Test func automaticLastStepRunsLast() throws {
        let result = run(try sequence("name: a\nsteps: []"))
        #expect(result.ran == ["installClient"])
        #expect(result.outcome == .success)
    }
}

@Suite struct ProgramTests {
    @Test func groupsCompileToBeginAndEndWithJumpTargets() throws {
        let program = Program(try sequence(worked))
        let kinds = program.instructions.map(\.kind)
        #expect(kinds == [.beginGroup(end: 4), .step, .step, .step, .endGroup(begin: 0),
                          .beginGroup(end: 9), .step, .step, .step, .endGroup(begin: 5), .step])
        #expect(program.instructions[1].parent == 0)
        #expect(program.instructions[6].parent == 5)
        #expect(program.instructions[10].parent == nil)
        #expect(program.instructions[10].step?.automatic == true)
        #expect(program.instructions[10].step?.type == .installClient)
        #expect(program.after(0) == 5)
        #expect(program.instructions[6].depth == 1)
    }

    @Test func disabledGroupDisablesDescendants() throws {
        let program = Program(try sequence("name: d\nsteps:\n  - type: group\n    disabled: true\n    steps:\n      - {type: restart}"))
        #expect(program.isDisabled(1))
        #expect(!program.isDisabled(3))
    }
}
