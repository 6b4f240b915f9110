import Foundation
import RunnerCore
import TaskSequenceDrivers

/// What reaches the run loop from other threads.
enum LoopEvent: Sendable {
    case stepDone(pointer: Int, attempt: Int, result: DriverResult)
    case progress(pointer: Int, bytes: Int, rate: Int, eta: Int?)
    case variableRequest(VariableUtility.Request, reply: @Sendable (VariableUtility.Response) -> Void)
}

/// A blocking queue the run loop waits on, with a deadline (the executor's `nextDeadline`).
final class EventQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [LoopEvent] = []

    func post(_ event: LoopEvent) {
        condition.lock()
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// The next event, or nil when `deadline` (wall-clock seconds) passed first.
    func next(until deadline: Double?) -> LoopEvent? {
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty {
            if let deadline {
                let date = Date(timeIntervalSince1970: deadline)
                if !condition.wait(until: date), events.isEmpty { return nil }
            } else {
                condition.wait()
            }
        }
        return events.removeFirst()
    }
}
