import BridgeCore
import Foundation
import Testing

/// Boot decisions by deployment state (issue 17 §3): the newest run and its events in, network
/// menu or local disk out, with the rule that applied.
@Suite struct BootDecisionTests {
    let steps = [RunRecord.PlannedStep(pointer: 0, name: "apply", type: "applyImage"),
                 RunRecord.PlannedStep(pointer: 1, name: "host", type: "setHostname"),
                 RunRecord.PlannedStep(pointer: 2, name: "reboot", type: "restart"),
                 RunRecord.PlannedStep(pointer: 3, name: "after", type: "runScript")]

    func run(_ state: String = "running", steps: [RunRecord.PlannedStep]? = nil, started: Int64 = 1_000) -> RunRecord {
        RunRecord(id: "r1", mac: "52:54:00:00:00:01", sequence: "deploy", steps: steps ?? self.steps, state: state,
                  startedAtMilliseconds: started, finishedAtMilliseconds: state == "running" ? nil : started + 500)
    }

    func start(_ sequence: Int64, _ step: Int64, _ name: String) -> RunEvent {
        RunEvent(sequence: sequence, kind: .start, step: step, name: name, atMilliseconds: 1_000 + sequence)
    }

    func finish(_ sequence: Int64, _ step: Int64, _ name: String, _ result: RunEvent.Result = .success, message: String? = nil) -> RunEvent {
        RunEvent(sequence: sequence, kind: .finish, step: step, name: name, atMilliseconds: 1_000 + sequence, result: result,
                 message: message)
    }

    @Test func noRunGetsTheMenu() {
        let decision = BootDecision.decide(run: nil, events: [])
        #expect(decision.action == .network && decision.basis == .noRun && decision.run == nil)
    }

    @Test func aRunBeforeItsImageStepSucceededGetsTheMenu() {
        for events in [[], [start(1, 0, "apply")], [start(1, 0, "apply"), RunEvent(sequence: 2, kind: .progress, step: 0, name: "apply",
                                                                                 atMilliseconds: 5, bytes: 10)]] {
            let decision = BootDecision.decide(run: run(), events: events)
            #expect(decision.action == .network && decision.basis == .imagePending, "\(events)")
            #expect(decision.run == "r1")
        }
    }

    @Test func anAppliedImageBootsTheDiskWhileRunningAndAfterSuccess() {
        let applied = [start(1, 0, "apply"), finish(2, 0, "apply")]
        let running = BootDecision.decide(run: run(), events: applied)
        #expect(running.action == .localDisk && running.basis == .imageApplied)
        #expect(running.reason.contains("step 'apply'") && running.reason.contains("resumes from the disk"), "\(running.reason)")
        let later = applied + [start(3, 1, "host"), finish(4, 1, "host"), finish(5, 2, "reboot"), start(6, 3, "after")]
        #expect(BootDecision.decide(run: run(), events: later).action == .localDisk)
        let done = BootDecision.decide(run: run("succeeded"), events: later + [finish(7, 3, "after")])
        #expect(done.action == .localDisk && done.basis == .imageApplied && done.reason.contains("succeeded"))
    }

    @Test func aFailedRunGetsTheMenuAgainWithTheFailedStep() {
        let checksum = [start(1, 0, "apply"), finish(2, 0, "apply", .failed, message: "SHA-256 mismatch")]
        let decision = BootDecision.decide(run: run("failed"), events: checksum)
        #expect(decision.action == .network && decision.basis == .runFailed)
        #expect(decision.reason.contains("step 'apply': SHA-256 mismatch"), "\(decision.reason)")
        // Failed after the image was applied: the menu too (the disk's system is not known good).
        let late = [start(1, 0, "apply"), finish(2, 0, "apply"), start(3, 1, "host"), finish(4, 1, "host", .failed)]
        #expect(BootDecision.decide(run: run("failed"), events: late).basis == .runFailed)
    }

    @Test func aRetriedImageStepCountsItsLastAttempt() {
        // Succeeded, then started again (the machine restarted mid-step): not applied any more.
        let again = [start(1, 0, "apply"), finish(2, 0, "apply"), start(3, 0, "apply")]
        #expect(BootDecision.decide(run: run(), events: again).basis == .imagePending)
    }

    @Test func aRunWithoutAnImageStepNeverBootsTheDisk() {
        let script = [RunRecord.PlannedStep(pointer: 0, name: "capture", type: "captureImage")]
        let decision = BootDecision.decide(run: run("succeeded", steps: script), events: [start(1, 0, "capture"), finish(2, 0, "capture")])
        #expect(decision.action == .network && decision.basis == .noImageApplied)
    }

    @Test func aNewDeploymentSinceTheRunStartedSendsItBackToTheMenu() {
        let applied = [start(1, 0, "apply"), finish(2, 0, "apply")]
        let older = BootDecision.Deployment(sequence: "deploy", collection: "Lab", createdAtMilliseconds: 999)
        #expect(BootDecision.decide(run: run("succeeded"), events: applied, deployments: [older]).action == .localDisk)
        let newer = BootDecision.Deployment(sequence: "capture", collection: "Lab", createdAtMilliseconds: 1_200)
        let decision = BootDecision.decide(run: run("succeeded"), events: applied, deployments: [older, newer])
        #expect(decision.action == .network && decision.basis == .newDeployment && decision.reason.contains("'capture'"))
    }
}
