/// Decides which of many log lines of one kind from one source are written, and when to write
/// a summary of the rest instead: a junk flood must not rotate the start-up lines out of the
/// log (issue 14 item 5). Pure: lines and time come in as values (`ContinuousClock.Instant`),
/// decisions and summaries go out; `RepeatedLineFilter` is its shell in the log handlers.
///
/// Per key (a label, a kind such as `malformed DHCP datagrams`, a source such as `10.99.0.2`):
/// the first `burst` lines of a `window` are written; from the next one on, lines are counted,
/// and when the window ends one summary says how many were left out (`… 41,233 more malformed
/// DHCP datagrams from 10.99.0.2 in the last 10 s`). While the lines keep coming each window
/// gives one summary and no lines; a window without any forgets the key, so the next line is
/// written again. At most `maxKeys` keys are kept: lines of further sources share one key
/// whose source is ``severalSources``, so a flood from spoofed addresses stays bounded too.
struct RepeatedLineSummary {
    typealias Instant = ContinuousClock.Instant

    /// What one line is: the logger's label, its kind (a plural noun phrase), its source.
    struct Key: Hashable, Sendable {
        var label: String
        var kind: String
        var source: String
    }

    /// What to do with one offered line.
    enum Decision: Equatable {
        case write
        case suppress
    }

    /// The lines of `key` left out over `seconds`.
    struct Summary: Equatable, Sendable {
        var key: Key
        var count: Int
        var seconds: Int

        /// `… 41,233 more malformed DHCP datagrams from 10.99.0.2 in the last 10 s`.
        var message: String {
            "… \(Self.grouped(count)) more \(key.kind) from \(key.source) in the last \(seconds) s"
        }

        /// `41233` → `41,233`.
        static func grouped(_ value: Int) -> String {
            let digits = Array(String(value.magnitude))
            var out = ""
            for (index, digit) in digits.enumerated() {
                if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
                out.append(digit)
            }
            return (value < 0 ? "-" : "") + out
        }
    }

    /// The source of the shared key that lines of sources past `maxKeys` are counted under.
    static let severalSources = "several sources"

    private enum State {
        /// Lines are written; `written` so far in the window that began at `start`.
        case writing(start: Instant, written: Int)
        /// Lines are counted; `suppressed` so far in the window that began at `start`.
        case summarising(start: Instant, suppressed: Int)

        var start: Instant {
            switch self {
            case let .writing(start, _), let .summarising(start, _): start
            }
        }
    }

    let window: Duration
    let burst: Int
    let maxKeys: Int
    private var keys: [Key: State] = [:]

    init(window: Duration = .seconds(10), burst: Int = 5, maxKeys: Int = 1024) {
        self.window = window
        self.burst = max(1, burst)
        self.maxKeys = max(1, maxKeys)
    }

    /// The keys being watched (for tests).
    var trackedKeys: Int { keys.count }

    /// When ``deadlineReached(now:)`` is due: the end of the oldest window, nil when none runs.
    var nextDeadline: Instant? {
        keys.values.map(\.start).min().map { $0 + window }
    }

    /// A line of `key` is about to be logged at `now`: write it, or count it.
    mutating func lineOffered(_ key: Key, now: Instant) -> Decision {
        var key = key
        if keys[key] == nil, keys.count >= maxKeys {
            key.source = Self.severalSources
        }
        switch keys[key] {
        case nil:
            keys[key] = .writing(start: now, written: 1)
            return .write
        case let .writing(start, written) where written < burst:
            keys[key] = .writing(start: start, written: written + 1)
            return .write
        case let .writing(start, _):
            keys[key] = .summarising(start: start, suppressed: 1)
            return .suppress
        case let .summarising(start, suppressed):
            keys[key] = .summarising(start: start, suppressed: suppressed + 1)
            return .suppress
        }
    }

    /// Ends every window that is over at `now`: a summary for each that left lines out (and a
    /// new, counting window for its key); keys whose window wrote every line are forgotten.
    mutating func deadlineReached(now: Instant) -> [Summary] {
        var summaries: [Summary] = []
        for (key, state) in keys where state.start + window <= now {
            switch state {
            case .writing, .summarising(_, 0):
                keys[key] = nil
            case let .summarising(start, suppressed):
                let seconds = Int((start.duration(to: now) / .seconds(1)).rounded())
                summaries.append(Summary(key: key, count: suppressed, seconds: seconds))
                keys[key] = .summarising(start: now, suppressed: 0)
            }
        }
        return summaries.sorted { ($0.key.label, $0.key.kind, $0.key.source) < ($1.key.label, $1.key.kind, $1.key.source) }
    }
}
