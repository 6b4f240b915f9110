import Foundation

/// A run as the bridge keeps it (issue 16 §6): which machine runs which sequence, the steps the
/// appliance compiled for it (instruction pointer and name; groups are not counted), and its
/// outcome once finished. Stored in `run`; its events in `run_event`.
public struct RunRecord: Equatable, Sendable, Codable {
    public struct PlannedStep: Equatable, Sendable, Codable {
        public var pointer: Int64
        public var name: String
        public var type: String?

        public init(pointer: Int64, name: String, type: String?) {
            self.pointer = pointer
            self.name = name
            self.type = type
        }
    }

    public var id: String
    public var mac: String
    public var sequence: String
    public var steps: [PlannedStep]
    /// `running`, `succeeded`, `failed`.
    public var state: String
    public var startedAtMilliseconds: Int64
    public var finishedAtMilliseconds: Int64?

    public init(id: String, mac: String, sequence: String, steps: [PlannedStep], state: String = "running",
                startedAtMilliseconds: Int64, finishedAtMilliseconds: Int64? = nil) {
        self.id = id
        self.mac = mac
        self.sequence = sequence
        self.steps = steps
        self.state = state
        self.startedAtMilliseconds = startedAtMilliseconds
        self.finishedAtMilliseconds = finishedAtMilliseconds
    }
}

/// What `netboot ts runs show` and `GET /v1/runs/{id}` print: a run folded from its record and
/// its events — step x of y, the current step, bytes and ETA of an image step, elapsed time,
/// every step with its times and result, the final outcome. Pure: record, events, now in.
public struct RunView: Equatable, Sendable, Codable {
    public struct Step: Equatable, Sendable, Codable {
        public var pointer: Int64
        public var name: String
        public var type: String?
        /// `not-run`, `running`, `success`, `failed`, `skipped`.
        public var state: String
        public var startedAtMilliseconds: Int64?
        public var finishedAtMilliseconds: Int64?
        public var exitCode: Int64?
        public var message: String?
        /// Times the step started (retries and a step interrupted by a reboot start again).
        public var attempts: Int
    }

    public struct Progress: Equatable, Sendable, Codable {
        public var bytes: Int64
        public var total: Int64?
        public var rate: Int64?
        public var eta: Int64?

        public init(bytes: Int64, total: Int64?, rate: Int64?, eta: Int64?) {
            self.bytes = bytes
            self.total = total
            self.rate = rate
            self.eta = eta
        }
    }

    public var id: String
    public var mac: String
    public var sequence: String
    public var state: String
    public var stepsTotal: Int
    /// Steps finished (success, failed or skipped).
    public var stepsDone: Int
    /// The step running now, if any: "step x of y" is its position among the steps.
    public var currentStep: Int64?
    public var currentStepName: String?
    public var currentStepNumber: Int?
    /// The latest progress of the running step (an image being applied).
    public var progress: Progress?
    public var startedAtMilliseconds: Int64
    public var finishedAtMilliseconds: Int64?
    public var elapsedMilliseconds: Int64
    public var events: Int
    public var steps: [Step]

    public static func fold(_ record: RunRecord, events: [RunEvent], nowMilliseconds: Int64) -> RunView {
        var steps = record.steps.map {
            Step(pointer: $0.pointer, name: $0.name, type: $0.type, state: "not-run", attempts: 0)
        }
        var index: [Int64: Int] = [:]
        for (position, step) in steps.enumerated() { index[step.pointer] = position }
        var progress: [Int64: Progress] = [:]
        for event in events.sorted(by: { $0.sequence < $1.sequence }) {
            let position: Int
            if let known = index[event.step] {
                position = known
            } else {
                // A step the plan did not list (it cannot happen with the appliance's own plan,
                // but the events are the machine's word): kept, at the end.
                steps.append(Step(pointer: event.step, name: event.name, type: nil, state: "not-run", attempts: 0))
                position = steps.count - 1
                index[event.step] = position
            }
            switch event.kind {
            case .start:
                steps[position].state = "running"
                steps[position].startedAtMilliseconds = event.atMilliseconds
                steps[position].finishedAtMilliseconds = nil
                steps[position].attempts += 1
                progress[event.step] = nil
            case .finish:
                steps[position].state = event.result?.rawValue ?? "success"
                steps[position].finishedAtMilliseconds = event.atMilliseconds
                steps[position].exitCode = event.exitCode
                steps[position].message = event.message
                // A step the executor finishes without running a driver (a restart) ran once.
                if steps[position].startedAtMilliseconds == nil, event.result != .skipped {
                    steps[position].startedAtMilliseconds = event.atMilliseconds
                    steps[position].attempts = max(1, steps[position].attempts)
                }
            case .progress:
                progress[event.step] = Progress(bytes: event.bytes ?? 0, total: event.total, rate: event.rate, eta: event.eta)
            case .log:
                break
            }
        }
        let done = steps.filter { ["success", "failed", "skipped"].contains($0.state) }.count
        let running = record.state == "running" ? steps.lastIndex { $0.state == "running" } : nil
        let end = record.finishedAtMilliseconds ?? nowMilliseconds
        return RunView(id: record.id, mac: record.mac, sequence: record.sequence, state: record.state,
                       stepsTotal: steps.count, stepsDone: done,
                       currentStep: running.map { steps[$0].pointer }, currentStepName: running.map { steps[$0].name },
                       currentStepNumber: running.map { $0 + 1 }, progress: running.flatMap { progress[steps[$0].pointer] },
                       startedAtMilliseconds: record.startedAtMilliseconds, finishedAtMilliseconds: record.finishedAtMilliseconds,
                       elapsedMilliseconds: max(0, end - record.startedAtMilliseconds), events: events.count, steps: steps)
    }
}
