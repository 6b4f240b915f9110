import Foundation
import Testing
@testable import BridgeCore

@Suite struct RunProgressTests {
    func event(_ run: String, _ step: String, _ phase: String, group: String? = nil, result: String? = nil) -> JSONValue {
        var fields: [String: JSONValue] = ["run": .string(run), "step": .string(step), "phase": .string(phase)]
        if let group { fields["group"] = .string(group) }
        if let result { fields["result"] = .string(result) }
        return .object(fields)
    }

    @Test func startAndFinishArePairedAndAFailureBubblesUpToItsGroupAndRun() {
        let runs = RunProgress.fold([
            (1, event("r1", "Partition", "start", group: "Prepare")),
            (2, event("r1", "Partition", "finish", group: "Prepare", result: "success")),
            (3, event("r1", "Format", "start", group: "Prepare")),
            (4, event("r1", "Apply image", "start", group: "Install")),
            (5, event("r1", "Format", "finish", group: "Prepare", result: "failed")),
        ])
        #expect(runs.count == 1)
        let run = runs[0]
        #expect(run.state == .failed)
        #expect(run.steps.map { "\($0.name):\($0.state)" } == ["Partition:success", "Format:failed", "Apply image:running"])
        #expect(run.steps[1].started == 3 && run.steps[1].finished == 5)
        #expect(run.groups == [.init(name: "Prepare", state: .failed), .init(name: "Install", state: .running)])
    }

    @Test func aRunSucceedsWhenEveryStepFinishedWithoutFailure() {
        let runs = RunProgress.fold([
            (1, event("a", "One", "start")), (2, event("b", "Other", "start")),
            (3, event("a", "One", "finish", result: "success")), (4, event("a", "Two", "finish", result: "skipped")),
        ])
        #expect(runs.map(\.run) == ["a", "b"])
        #expect(runs[0].state == .succeeded && runs[1].state == .running)
        #expect(runs[0].steps.map(\.state) == ["success", "skipped"])
        #expect(runs[0].steps[1].started == nil)
    }

    @Test func aRepeatedStepIsANewAttemptAndMalformedEventsAreIgnored() {
        let runs = RunProgress.fold([
            (1, event("a", "Retry", "start")), (2, event("a", "Retry", "start")),
            (3, event("a", "Retry", "finish", result: "failed")), (4, event("a", "Retry", "start")),
            (5, event("a", "Retry", "finish", result: "success")), (6, .object(["run": .number(1)])), (7, .null),
        ])
        #expect(runs.count == 1)
        #expect(runs[0].steps.map(\.state) == ["failed", "success"])
        #expect(runs[0].state == .failed)
    }
}
