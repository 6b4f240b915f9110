import Foundation
import Testing
import RunnerCore
import TaskSequence

@Suite struct VariableUtilityTests {
    @Test func parsesTheSeedsForms() throws {
        #expect(try VariableUtility.parse(["--get", "a"]) == .get(names: ["a"]))
        #expect(try VariableUtility.parse(["--get", "a", "b"]) == .get(names: ["a", "b"]))
        #expect(try VariableUtility.parse(["--set", "b=x=y", "a=123", "c="]) == .set(assignments: [
            .init(name: "b", value: "x=y"), .init(name: "a", value: "123"), .init(name: "c", value: ""),
        ]))
    }

    @Test func garbageIsAUsageError() {
        for arguments in [[], ["--get"], ["--set"], ["--set", "novalue"], ["--set", "=v"], ["--get", "1a"],
                          ["--frobnicate"], ["--get", "a", "b-c"], ["--set", "a\u{1}b=1"]] {
            #expect(throws: VariableUtility.UsageError.self, "\(arguments)") { try VariableUtility.parse(arguments) }
        }
    }

    @Test func outputIsRawForOneAndEvalSafeForSeveral() throws {
        #expect(VariableUtility.output(for: [.init(name: "a", value: "it's $HOME")]) == "it's $HOME\n")
        let several = VariableUtility.output(for: [.init(name: "a", value: "it's $HOME `x`"), .init(name: "b", value: "")])
        #expect(several == "a='it'\\''s $HOME `x`'\nb=''\n")
        // The shell reads back exactly the values.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", several + "printf '%s|%s' \"$a\" \"$b\""]
        let pipe = Pipe()
        shell.standardOutput = pipe
        try shell.run()
        shell.waitUntilExit()
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "it's $HOME `x`|")
    }

    @Test func exitCodesAreDistinct() {
        let codes = VariableUtility.ExitCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        #expect(VariableUtility.ExitCode.readOnly.rawValue == 4 && VariableUtility.ExitCode.unknownVariable.rawValue == 3
                && VariableUtility.ExitCode.outsideRun.rawValue == 5 && VariableUtility.ExitCode.usage.rawValue == 2)
    }
}

@Suite struct VariableRequestsTests {
    private func runningExecutor() throws -> Executor {
        let report = Linter.lint(data: Data("name: s\nvariables: {A: one}\nsteps: [{type: runScript, id: a, package: p, script: s}]".utf8), file: "s.yaml")
        let definition = try #require(report.definition)
        var env = VariableEnvironment()
        for declaration in definition.variables { env.set(declaration.name, declaration.value, layer: .taskSequence) }
        var executor = Executor(program: Program(definition), variables: env)
        _ = executor.handle(.started(now: 0))
        return executor
    }

    @Test func getAndSetAgainstTheExecutor() throws {
        var executor = try runningExecutor()
        #expect(VariableRequests.answer(.get(names: ["a"]), executor: &executor) == .values([.init(name: "a", value: "one")]))
        #expect(VariableRequests.answer(.set(assignments: [.init(name: "B", value: "two")]), executor: &executor) == .done)
        #expect(executor.variables.text(VariableName("b")) == "two")
        guard case .refused(.unknownVariable, _) = VariableRequests.answer(.get(names: ["Nope"]), executor: &executor) else {
            Issue.record("unknown variable not refused"); return
        }
        // All or nothing: the read-only name refuses the whole set.
        guard case .refused(.readOnly, _) = VariableRequests.answer(.set(assignments: [.init(name: "C", value: "3"), .init(name: "_TSModel", value: "x")]), executor: &executor) else {
            Issue.record("read-only not refused"); return
        }
        #expect(executor.variables.text(VariableName("C")) == nil)
    }

    @Test func outsideAStepIsRefused() throws {
        let report = Linter.lint(data: Data("name: s\nsteps: []".utf8), file: "s.yaml")
        var executor = Executor(program: Program(try #require(report.definition)), variables: VariableEnvironment())
        guard case .refused(.outsideRun, _) = VariableRequests.answer(.get(names: ["a"]), executor: &executor) else {
            Issue.record("not refused"); return
        }
    }
}

@Suite struct VariableInputsTests {
    @Test func readsAFileAndNamesTheBadLine() throws {
        let parsed = try VariableInputs.file("# secrets\nPmmOSDJoinPassword=p a=ss\n\n  Site=lab\r\n", path: "v.env")
        #expect(parsed == [.init(name: "PmmOSDJoinPassword", value: "p a=ss"), .init(name: "Site", value: "lab")])
        #expect(throws: VariableInputs.ParseError(description: "v.env:2: 'oops' is not NAME=VALUE")) {
            try VariableInputs.file("A=1\noops\n", path: "v.env")
        }
        #expect(throws: VariableInputs.ParseError.self) { try VariableInputs.assignment("_TSModel=x") }
    }
}
