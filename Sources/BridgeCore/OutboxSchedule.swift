import Foundation

/// When the outbox tries an undelivered event again, and what an upstream answer means
/// (docs/bridge.md, "Outbox"). Pure: attempts and `now` in, a time out.
///
/// Exponential backoff from `base`, doubling per failed attempt up to `cap`, no jitter: the
/// outbox sends one event per client at a time, in order, so a thundering herd of retries is
/// bounded by the number of clients with undelivered events, not by events.
public struct OutboxSchedule: Equatable, Sendable {
    public var base: TimeInterval
    public var cap: TimeInterval

    public init(base: TimeInterval = 1, cap: TimeInterval = 300) {
        self.base = base
        self.cap = cap
    }

    /// The delay before the next try after `failedAttempts` (≥ 1) failures.
    public func delay(afterFailedAttempts failedAttempts: Int) -> TimeInterval {
        guard failedAttempts > 0 else { return 0 }
        let exponent = min(failedAttempts - 1, 30)
        return min(cap, base * Double(1 << exponent))
    }

    public func nextAttempt(afterFailedAttempts failedAttempts: Int, now: Date) -> Date {
        now.addingTimeInterval(delay(afterFailedAttempts: failedAttempts))
    }

    /// The upstream's answer to one delivery.
    public enum Outcome: Equatable, Sendable {
        /// 2xx, or 409 (it already has the event under this idempotency key): done.
        case delivered
        /// 5xx, 408, 429, no answer, a broken connection: try again later.
        case retry
        /// Any other 4xx: the upstream will never take it. Kept, marked, and skipped so the
        /// client's later events are not held up forever; shown in `status`.
        case rejected
    }

    /// The outcome of an HTTP status (nil: no complete response, a timeout or a broken connection).
    public static func outcome(status: Int?) -> Outcome {
        guard let status else { return .retry }
        switch status {
        case 200...299, 409: return .delivered
        case 408, 429, 500...599: return .retry
        case 400...499: return .rejected
        default: return .retry
        }
    }
}
