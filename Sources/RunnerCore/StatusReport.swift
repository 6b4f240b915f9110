#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TaskSequenceCore

/// `netboot-runner status`: the run's steps with status, exit codes, attempts and times, as
/// text or JSON. Built from the state file only; never shows a variable value.
public enum StatusReport {
    public struct Step: Sendable, Codable, Equatable {
        public var pointer: Int
        public var name: String
        public var id: String?
        public var type: String
        public var status: String
        /// As the step's rules read it (3010 for a script's 194).
        public var exitCode: Int32?
        public var rawExitCode: Int32?
        public var attempts: Int
        public var rebootRequested: Bool
        public var startedAt: Double?
        public var finishedAt: Double?
        public var message: String?
    }

    public struct Document: Sendable, Codable, Equatable {
        public var sequence: String
        public var sequenceFile: String
        public var phase: String
        public var pointer: Int
        public var stepsTotal: Int
        public var stepsFinished: Int
        public var failedAt: Int?
        public var steps: [Step]
    }

    public static func document(_ state: RunState) -> Document {
        let journal = state.journal
        let steps = journal.steps.map {
            Step(pointer: $0.pointer, name: $0.name, id: $0.id, type: $0.type.rawValue, status: $0.status.rawValue,
                 exitCode: $0.exitCode, rawExitCode: $0.rawExitCode, attempts: $0.attempts, rebootRequested: $0.rebootRequested,
                 startedAt: $0.startedAt, finishedAt: $0.finishedAt, message: $0.message)
        }
        let finished = journal.steps.filter { $0.status != .notRun && $0.status != .running }.count
        return Document(sequence: journal.sequenceName, sequenceFile: state.inputs.sequenceFile, phase: journal.phase.rawValue,
                        pointer: journal.pointer, stepsTotal: journal.steps.count, stepsFinished: finished,
                        failedAt: journal.failedAt, steps: steps)
    }

    public static func json(_ state: RunState) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(document(state)), as: UTF8.self) + "\n"
    }

    public static func text(_ state: RunState) -> String {
        let document = document(state)
        var out = "sequence: \(document.sequence) (\(document.sequenceFile))\n"
        out += "phase: \(document.phase), \(document.stepsFinished) of \(document.stepsTotal) steps done\n"
        for step in document.steps {
            var line = pad(String(step.pointer), 3, right: true) + "  " + pad(step.status, 22) + " " + pad(step.name, 30)
            if let code = step.exitCode {
                line += " exit \(code)"
                if let raw = step.rawExitCode { line += " (status \(raw))" }
            }
            if step.attempts > 1 { line += " attempts \(step.attempts)" }
            if let started = step.startedAt, let finished = step.finishedAt { line += " " + seconds(finished - started) }
            if step.rebootRequested { line += " reboot" }
            if let message = step.message { line += " — \(message)" }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    /// `12.3s`: tenths, without Foundation's `String(format:)`.
    static func seconds(_ value: Double) -> String {
        let tenths = Int((max(0, value) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)s"
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
