import BridgeCore
import Foundation
import Synchronization

/// The console's limit on failed logins (docs/console.md, "Login, sessions, CSRF"): each
/// client address has a ``RateLimit`` bucket of `burst` failures that refills at `perSecond`;
/// only a refused token takes from it, and while it is empty every login from that address is
/// refused before the token is looked at (429 with `Retry-After`), so guessing tokens from one
/// address is slowed to the refill rate. Held in memory only; at most `maxCallers` addresses.
final class ConsoleLoginLimit: Sendable {
    private let state: Mutex<RateLimit>

    /// Five failures at once, then one more every 12 s (five a minute).
    init(perSecond: Double = 1.0 / 12, burst: Int = 5, maxCallers: Int = 10_000) {
        state = Mutex(RateLimit(perSecond: perSecond, burst: burst, maxCallers: maxCallers))
    }

    /// Seconds to wait before this address may try again, or nil when it may try now.
    /// Looks without taking: the bucket is only emptied by ``failed(_:now:)``.
    func retryAfter(_ address: String, now: Date) -> Int? {
        state.withLock { limit -> Int? in
            var probe = limit
            if case let .deny(retryAfter) = probe.admit(address, now: now) { return retryAfter }
            return nil
        }
    }

    /// Counts one refused login from this address.
    func failed(_ address: String, now: Date) {
        state.withLock { limit in _ = limit.admit(address, now: now) }
    }
}
