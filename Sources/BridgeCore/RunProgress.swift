import Foundation

/// A task-sequence run as a device's status reports tell it (issue 15: "paired start/finish
/// per step, FAIL bubbling up to its group"): each step's start and finish paired by name, each
/// group failed when any of its steps failed, the run failed when any step failed. Pure: the
/// reports in sequence order in, the runs out, in the order they were first seen.
public struct RunProgress: Equatable, Sendable, Encodable {
    public enum State: String, Sendable, Encodable {
        case running, succeeded, failed
    }

    public struct Step: Equatable, Sendable, Encodable {
        public var name: String
        public var group: String?
        /// `running` until its finish arrives, then its result: `success`, `failed`, `skipped`.
        public var state: String
        public var started: Int64?
        public var finished: Int64?
        public var message: String?
    }

    public struct Group: Equatable, Sendable, Encodable {
        public var name: String
        public var state: State
    }

    public var run: String
    public var state: State
    public var steps: [Step]
    public var groups: [Group]

    /// `reports` are `(sequence, data)` of status reports, in sequence order.
    public static func fold(_ reports: [(sequence: Int64, data: JSONValue)]) -> [RunProgress] {
        var order: [String] = []
        var steps: [String: [Step]] = [:]
        for (sequence, data) in reports {
            guard case let .object(fields) = data, case let .string(run)? = fields["run"],
                  case let .string(name)? = fields["step"], case let .string(phase)? = fields["phase"] else { continue }
            var group: String?
            if case let .string(text)? = fields["group"] { group = text }
            var message: String?
            if case let .string(text)? = fields["message"] { message = text }
            if steps[run] == nil {
                order.append(run)
                steps[run] = []
            }
            // The latest unfinished step of that name takes a finish; a start opens a new one.
            let open = steps[run]?.lastIndex { $0.name == name && $0.finished == nil }
            if phase == "start" {
                if open == nil {
                    steps[run]?.append(Step(name: name, group: group, state: "running", started: sequence))
                }
            } else {
                var result = "success"
                if case let .string(text)? = fields["result"] { result = text }
                if let open {
                    steps[run]?[open].state = result
                    steps[run]?[open].finished = sequence
                    if message != nil { steps[run]?[open].message = message }
                } else {
                    steps[run]?.append(Step(name: name, group: group, state: result, finished: sequence, message: message))
                }
            }
        }
        return order.map { run in
            let runSteps = steps[run] ?? []
            var groupNames: [String] = []
            for step in runSteps { if let group = step.group, !groupNames.contains(group) { groupNames.append(group) } }
            let groups = groupNames.map { name in Group(name: name, state: state(of: runSteps.filter { $0.group == name })) }
            return RunProgress(run: run, state: state(of: runSteps), steps: runSteps, groups: groups)
        }
    }

    /// Failed when any step failed (even while others still run), running while any runs.
    static func state(of steps: [Step]) -> State {
        if steps.contains(where: { $0.state == "failed" }) { return .failed }
        if steps.contains(where: { $0.state == "running" }) { return .running }
        return .succeeded
    }
}
