/// The pending deadlines of one transfer loop: a binary min-heap of (deadline, session).
///
/// Entries are never removed early. A session that wants an earlier deadline pushes a new
/// entry; the loop ignores an entry whose session has moved on (``TFTPReadSession/scheduled``
/// no longer equals it). A session therefore has at most a couple of entries, and an ACK that
/// only pushes its deadline later costs nothing here.
struct TFTPDeadlineHeap {
    struct Entry: Equatable {
        var deadline: ContinuousClock.Instant
        var session: UInt64
    }

    private var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var earliest: ContinuousClock.Instant? { entries.first?.deadline }

    mutating func push(_ deadline: ContinuousClock.Instant, session: UInt64) {
        entries.append(Entry(deadline: deadline, session: session))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(at now: ContinuousClock.Instant) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count, entries[right].deadline < entries[smallest].deadline { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    /// The `epoll_wait` timeout until the earliest deadline: whole milliseconds rounded up (so
    /// the loop never wakes before it is due), 0 when overdue, -1 (forever) when empty.
    func timeoutMilliseconds(now: ContinuousClock.Instant) -> Int32 {
        guard let earliest else { return -1 }
        guard earliest > now else { return 0 }
        let wait = (earliest - now).components
        let nanoseconds = wait.seconds * 1_000_000_000 + wait.attoseconds / 1_000_000_000
        return Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
    }
}
