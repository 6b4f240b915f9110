import Foundation
import Testing
import RunnerCore
import TaskSequence

private func sampleState() throws -> RunState {
    let report = Linter.lint(data: Data("name: s\nsteps: [{type: installSoftware, id: a, package: p}]".utf8), file: "s.yaml")
    let definition = try #require(report.definition)
    var executor = Executor(program: Program(definition), variables: VariableEnvironment())
    _ = executor.handle(.started(now: 5))
    return RunState(journal: executor.journal, inputs: RunInputs(sequenceFile: "/s.yaml", startedAt: 5))
}

@Suite struct StateFileTests {
    @Test func roundTrips() throws {
        let state = try sampleState()
        #expect(try StateFile.decode(try StateFile.encode(state)) == state)
    }

    @Test func everyTruncationIsRefused() throws {
        let bytes = try StateFile.encode(try sampleState())
        // Every prefix shorter than the whole file (the final newline is optional) fails.
        for length in 0..<(bytes.count - 1) {
            #expect(throws: StateFile.DecodeError.self) { try StateFile.decode(Array(bytes.prefix(length))) }
        }
    }

    @Test func aFlippedByteIsRefused() throws {
        var bytes = try StateFile.encode(try sampleState())
        let header = try #require(bytes.firstIndex(of: 0x0A))
        let index = header + 40
        bytes[index] = bytes[index] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        #expect(throws: StateFile.DecodeError.checksumMismatch) { try StateFile.decode(bytes) }
        #expect(throws: StateFile.DecodeError.notAStateFile) { try StateFile.decode(Array("garbage\n{}".utf8)) }
        #expect(throws: StateFile.DecodeError.unsupportedVersion("9")) { try StateFile.decode(Array("netboot-runner-state 9 2 0000000000000000\n{}".utf8)) }
    }
}

@Suite struct StatusReportTests {
    @Test func showsStatusAndNoValues() throws {
        let state = try sampleState()
        let text = StatusReport.text(state)
        #expect(text.contains("running"))
        #expect(text.contains("phase: running, 0 of 2 steps done"))
        let json = try StatusReport.json(state)
        #expect(json.contains("\"status\" : \"running\""))
    }
}
