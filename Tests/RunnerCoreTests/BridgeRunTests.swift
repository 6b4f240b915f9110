import Foundation
import RunnerCore
import TaskSequence
import Testing

/// The pure parts of `netboot-runner --bridge`: reading the bridge's answers, and resume's
/// reconciliation of the journal with the appliance's view of the run.
@Suite struct BridgeRunTests {
    func parse(_ text: String) -> HTTPAnswer? { HTTPAnswer.parse(Array(text.utf8)) }

    @Test func answersAreFramedByLengthByChunksOrByTheClose() {
        #expect(parse("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}trailing") == HTTPAnswer(status: 202, body: Array("{}".utf8)))
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
                == HTTPAnswer(status: 200, body: Array("abcde".utf8)))
        #expect(parse("HTTP/1.1 503 Unavailable\r\n\r\nbusy") == HTTPAnswer(status: 503, body: Array("busy".utf8)))
    }

    @Test func garbageAndCutAnswersAreNoAnswer() {
        for text in ["", "HTTP/1.1 200 OK\r\n", "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1 999 No\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"] {
            #expect(parse(text) == nil, "\(text.debugDescription)")
        }
    }

    func journal() throws -> Journal {
        let yaml = "name: s\nsteps:\n  - {type: restart, id: reboot}\n  - {type: setHostname, id: host, hostname: h}\n"
        let definition = try #require(Linter.lint(data: Data(yaml.utf8), file: "s.yaml").definition)
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        _ = executor.handle(.started(now: 1))
        return executor.journal
    }

    @Test func resumeNeedsBothSidesToAgreeOnFinishedSteps() throws {
        var journal = try journal()
        journal.steps[0].status = .succeeded
        let agree = [RunReconciliation.ApplianceStep(pointer: 0, name: "reboot", state: "success"),
                     .init(pointer: 1, name: "host", state: "not-run")]
        #expect(RunReconciliation.disagreements(journal: journal, appliance: agree).isEmpty)
        // An interrupted step: running on one side, not run on the other — neither finished it.
        journal.steps[1].status = .running
        #expect(RunReconciliation.disagreements(journal: journal, appliance: agree).isEmpty)
        // The appliance heard of a finish the journal does not have, and the other way round.
        journal.steps[1].status = .notRun
        let ahead = [agree[0], .init(pointer: 1, name: "host", state: "success")]
        #expect(RunReconciliation.disagreements(journal: journal, appliance: ahead) == ["step 1 'host': journal not-run, appliance success"])
        let behind = [RunReconciliation.ApplianceStep(pointer: 0, name: "reboot", state: "running"), agree[1]]
        #expect(RunReconciliation.disagreements(journal: journal, appliance: behind) == ["step 0 'reboot': journal success, appliance running"])
        journal.steps[0].status = .timedOut
        #expect(RunReconciliation.disagreements(journal: journal, appliance: agree) == ["step 0 'reboot': journal failed, appliance success"])
    }
}
