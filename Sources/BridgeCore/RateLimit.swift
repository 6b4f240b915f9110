import Foundation

/// A token bucket per caller (token id, or address before authentication): `burst` calls at once,
/// refilled at `perSecond`. Pure: `now` is an input. Past it the bridge answers 429 with
/// `Retry-After`.
public struct RateLimit: Sendable {
    public var perSecond: Double
    public var burst: Double
    private var buckets: [String: Bucket] = [:]
    /// Buckets idle this long are forgotten when the table grows past `maxCallers`.
    public var maxCallers: Int

    struct Bucket: Sendable {
        var tokens: Double
        var updated: Date
    }

    public init(perSecond: Double, burst: Int, maxCallers: Int = 100_000) {
        self.perSecond = perSecond
        self.burst = Double(max(1, burst))
        self.maxCallers = maxCallers
    }

    public enum Decision: Equatable, Sendable {
        case allow
        /// Seconds until one call is allowed again (rounded up, at least 1).
        case deny(retryAfter: Int)
    }

    public mutating func admit(_ caller: String, now: Date) -> Decision {
        if buckets.count >= maxCallers, buckets[caller] == nil { prune(now: now) }
        var bucket = buckets[caller] ?? Bucket(tokens: burst, updated: now)
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
        bucket.updated = now
        defer { buckets[caller] = bucket }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return .allow
        }
        let wait = perSecond > 0 ? (1 - bucket.tokens) / perSecond : 3600
        return .deny(retryAfter: max(1, Int(wait.rounded(.up))))
    }

    /// Drops the buckets that are full again (their callers are idle); if none are, the oldest half.
    mutating func prune(now: Date) {
        buckets = buckets.filter { min(burst, $0.value.tokens + now.timeIntervalSince($0.value.updated) * perSecond) < burst }
        if buckets.count >= maxCallers {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maxCallers / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    public var callerCount: Int { buckets.count }
}
