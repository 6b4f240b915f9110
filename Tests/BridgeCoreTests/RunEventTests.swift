import BridgeCore
import Foundation
import Testing

/// Run events as the client port reads them (issue 16 §6) and the run view folded from them.
@Suite struct RunEventTests {
    func decode(_ text: String) throws(RequestBodyError) -> RunEvent { try RunEvent.decode(Data(text.utf8)) }

    @Test func eachKindCarriesOnlyItsFields() throws {
        let finish = try decode(#"{"sequence":3,"kind":"finish","step":2,"name":"Apply","at_ms":5,"result":"failed","exit_code":1,"message":"no disk"}"#)
        #expect(finish.result == .failed && finish.exitCode == 1 && finish.message == "no disk")
        let progress = try decode(#"{"sequence":4,"kind":"progress","step":2,"name":"Apply","at_ms":6,"bytes":10,"total":20,"rate":5,"eta":2}"#)
        #expect(progress.bytes == 10 && progress.total == 20 && progress.rate == 5 && progress.eta == 2)

        let refused: [(String, String)] = [
            (#"{"sequence":1,"kind":"finish","step":0,"name":"a","at_ms":1}"#, "result"),
            (#"{"sequence":1,"kind":"start","step":0,"name":"a","at_ms":1,"result":"success"}"#, "result"),
            (#"{"sequence":1,"kind":"progress","step":0,"name":"a","at_ms":1}"#, "bytes"),
            (#"{"sequence":1,"kind":"log","step":0,"name":"a","at_ms":1,"bytes":3,"text":"x"}"#, "bytes"),
            (#"{"sequence":0,"kind":"start","step":0,"name":"a","at_ms":1}"#, "sequence"),
            (#"{"sequence":1,"kind":"start","step":-1,"name":"a","at_ms":1}"#, "step"),
            (#"{"sequence":1,"kind":"start","step":0,"name":"a","at_ms":1,"secret":"x"}"#, "secret"),
            (#"{"sequence":1,"kind":"begin","step":0,"name":"a","at_ms":1}"#, "kind"),
        ]
        for (body, field) in refused {
            #expect(throws: RequestBodyError.self, "\(body)") { try decode(body) }
            do { _ = try decode(body) } catch { #expect(error.field == field, "\(body): \(error)") }
        }
    }

    @Test func theDigestIgnoresKeyOrderAndTheStoredFormReadsBack() throws {
        let a = try decode(#"{"sequence":7,"kind":"log","step":1,"name":"Script","at_ms":9,"text":"hello"}"#)
        let b = try decode(#"{"text":"hello","at_ms":9,"name":"Script","step":1,"kind":"log","sequence":7}"#)
        #expect(a.digest == b.digest)
        #expect(RunEvent.stored(sequence: 7, a.json) == a)
        let other = try decode(#"{"sequence":7,"kind":"log","step":1,"name":"Script","at_ms":9,"text":"hullo"}"#)
        #expect(other.digest != a.digest)
    }

    @Test func finishAndDeploymentBodies() throws {
        #expect(try RunFinishRequest.decode(Data(#"{"outcome":"succeeded","at_ms":1}"#.utf8)).outcome == .succeeded)
        #expect(throws: RequestBodyError.self) { try RunFinishRequest.decode(Data(#"{"outcome":"done","at_ms":1}"#.utf8)) }
        #expect(try DeploymentRequest.decode(Data(#"{"sequence":"s","collection":"c"}"#.utf8)) == DeploymentRequest(sequence: "s", collection: "c"))
        #expect(throws: RequestBodyError.self) { try RunStartRequest.decode(Data(#"{"sequence":"s","variables":{}}"#.utf8)) }
    }

    let record = RunRecord(id: "r", mac: "02:00:00:00:00:01", sequence: "Deploy",
                           steps: [.init(pointer: 1, name: "Apply", type: "apply-image"), .init(pointer: 2, name: "Script", type: "run-script"),
                                   .init(pointer: 4, name: "Restart", type: "restart")],
                           startedAtMilliseconds: 1000)

    func event(_ sequence: Int64, _ kind: RunEvent.Kind, _ step: Int64, at: Int64, result: RunEvent.Result? = nil, bytes: Int64? = nil) -> RunEvent {
        var event = RunEvent(sequence: sequence, kind: kind, step: step, name: "x", atMilliseconds: at, result: result)
        if kind == .progress { event.bytes = bytes; event.total = 100; event.rate = 10; event.eta = 5 }
        return event
    }

    @Test func viewCountsStepsAndShowsTheRunningStepsProgress() {
        let events = [event(1, .start, 1, at: 1100), event(2, .progress, 1, at: 1200, bytes: 50),
                      event(3, .finish, 1, at: 1300, result: .success), event(4, .start, 2, at: 1400),
                      event(5, .progress, 2, at: 1450, bytes: 7)]
        let view = RunView.fold(record, events: events, nowMilliseconds: 3000)
        #expect(view.stepsTotal == 3 && view.stepsDone == 1)
        #expect(view.currentStep == 2 && view.currentStepNumber == 2 && view.currentStepName == "Script")
        #expect(view.progress == RunView.Progress(bytes: 7, total: 100, rate: 10, eta: 5))
        #expect(view.elapsedMilliseconds == 2000)
        #expect(view.steps[0].state == "success" && view.steps[0].startedAtMilliseconds == 1100 && view.steps[0].finishedAtMilliseconds == 1300)
        #expect(view.steps[2].state == "not-run")
    }

    @Test func aFinishedRunHasNoCurrentStepAndKeepsItsElapsedTime() {
        var finished = record
        finished.state = "succeeded"
        finished.finishedAtMilliseconds = 5000
        let events = [event(1, .start, 1, at: 1100), event(2, .finish, 1, at: 1300, result: .success),
                      event(3, .finish, 2, at: 1400, result: .skipped), event(4, .start, 4, at: 1500), event(5, .start, 4, at: 4000),
                      event(6, .finish, 4, at: 4100, result: .success)]
        let view = RunView.fold(finished, events: events, nowMilliseconds: 9000)
        #expect(view.currentStep == nil && view.progress == nil)
        #expect(view.stepsDone == 3 && view.elapsedMilliseconds == 4000)
        #expect(view.steps[1].state == "skipped" && view.steps[1].startedAtMilliseconds == nil)
        #expect(view.steps[2].attempts == 2 && view.steps[2].startedAtMilliseconds == 4000)
    }

    @Test func aStepFinishedWithoutAStartRanOnce() {
        let view = RunView.fold(record, events: [event(1, .finish, 4, at: 1500, result: .success)], nowMilliseconds: 2000)
        #expect(view.steps[2].attempts == 1 && view.steps[2].startedAtMilliseconds == 1500 && view.steps[2].finishedAtMilliseconds == 1500)
    }
}
