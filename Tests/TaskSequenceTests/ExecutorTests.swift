import Testing
@testable import TaskSequence

/// Runs a program to the end, answering each runStep with the exit code given for that step
/// id (0 when not listed). Returns the ids that ran, in order, and the outcome.
private func run(_ definition: TaskSequenceDefinition, exitCodes: [String: [Int32]] = [:],
                 variables: VariableEnvironment = VariableEnvironment()) -> (ran: [String], outcome: Executor.Outcome?, executor: Executor) {
    var executor = Executor(program: Program(definition), variables: variables)
    var codes = exitCodes
    var ran: [String] = []
    var action = executor.handle(.start)
    for _ in 0..<10_000 {
        switch action {
        case .finished(let outcome):
            return (ran, outcome, executor)
        case .runStep(let pointer, _):
            let id = executor.program.instructions[pointer].options.id ?? "?"
            ran.append(id)
            let code = codes[id]?.isEmpty == false ? codes[id]!.removeFirst() : 0
            action = executor.handle(.stepFinished(exitCode: code))
        }
    }
    return (ran, nil, executor)
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
        // The failure stays visible to later conditions.
        #expect(result.executor.history.first { $0.exitCode == 1 } != nil)
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

    @Test func timeoutIsAFailure() throws {
        let definition = try sequence("name: t\nsteps: [{type: installSoftware, id: a, package: p, timeout: 5, continueOnError: true}]")
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        #expect(executor.handle(.start) == .runStep(pointer: 0, attempt: 1))
        #expect(executor.handle(.stepTimedOut) == .runStep(pointer: 1, attempt: 1))
        #expect(executor.variables.text(BuiltInVariable.lastActionSucceeded.name) == "false")
        #expect(executor.handle(.stepFinished(exitCode: 0)) == .finished(.success))
        #expect(executor.handle(.stepFinished(exitCode: 0)) == .finished(.success))
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

    @Test func unexpectedEventsDoNotCorruptTheRun() throws {
        let definition = try sequence("name: t\nsteps:\n  - type: group\n    steps: [{type: installSoftware, id: a, package: p}]")
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        // A result before start does not count as a step result; the run starts at the first step.
        #expect(executor.handle(.stepFinished(exitCode: 1)) == .runStep(pointer: 1, attempt: 1))
        #expect(executor.handle(.start) == .runStep(pointer: 1, attempt: 1))
        #expect(executor.handle(.stepFinished(exitCode: 0)) == .runStep(pointer: 3, attempt: 1))
        #expect(executor.handle(.stepFinished(exitCode: 0)) == .finished(.success))
        #expect(executor.handle(.stepTimedOut) == .finished(.success))
        #expect(executor.history.map(\.exitCode) == [0, 0])
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
