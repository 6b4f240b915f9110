/// When a transfer thread polls its sockets for a moment before it sleeps in `epoll_wait`, and
/// for how long: busy polling, as Linux's `net.core.busy_poll` does inside the kernel for
/// sockets whose NIC supports it (here in user space, so it works on any interface).
///
/// In lockstep (RFC 1350 §2: one DATA, then wait for its ACK) every block costs the server one
/// sleep and one wakeup, and waking a thread whose CPU went idle is the largest part of a round
/// trip on an otherwise idle machine: measured on the 2-core VM with a veth pair, 56 µs per
/// block when the server sleeps, 24 µs when it polls (docs/tftp.md, "Busy polling").
///
/// Polling spends CPU to save that wakeup, so it is bounded three ways:
/// - only while few transfers run (`maxTransfers`, half the cores): with more, the CPUs are
///   busy anyway — a wakeup is cheap, and a polling thread would take CPU from the others;
/// - at most `budget` per sleep;
/// - it backs off when polls keep missing (a slow client, a long network path, a large window):
///   each miss costs ``missPenalty`` of a score that each hit raises by one up to ``maxScore``;
///   at zero the thread sleeps at once, and tries one poll again after ``probeInterval`` sleeps.
///
/// A pure value: the loop reports what happened, and asks before each sleep.
struct TFTPBusyPoll: Equatable {
    /// The longest poll before a sleep; zero turns polling off.
    let budget: Duration
    /// Poll only while at most this many read transfers run in the whole service.
    let maxTransfers: Int
    private(set) var score = 1
    private var sleepsSinceProbe = 0

    static let maxScore = 8
    static let missPenalty = 4
    static let probeInterval = 128

    init(budget: Duration, maxTransfers: Int) {
        self.budget = max(.zero, budget)
        self.maxTransfers = max(1, maxTransfers)
    }

    /// Half the cores, at least one: the others are left to the clients, the listener and the
    /// rest of the appliance.
    static func maxTransfers(cores: Int) -> Int { max(1, cores / 2) }

    /// How long to poll before sleeping, or nil to sleep at once. `transfers` is the number of
    /// read transfers running in the service (this loop's included; none here means nothing
    /// to poll for); `timeoutMilliseconds` is the loop's `epoll_wait` timeout (0: a deadline
    /// is due, so there is no sleep to save).
    mutating func pollBudget(transfers: Int, ownTransfers: Int, timeoutMilliseconds: Int32) -> Duration? {
        guard budget > .zero, ownTransfers > 0, transfers <= maxTransfers, timeoutMilliseconds != 0 else { return nil }
        if score > 0 { return budget }
        sleepsSinceProbe += 1
        guard sleepsSinceProbe >= Self.probeInterval else { return nil }
        sleepsSinceProbe = 0
        return budget
    }

    /// The poll ended: `hit` when a socket became ready within the budget, else the loop slept.
    mutating func polled(hit: Bool) {
        if hit {
            score = min(Self.maxScore, score + 1)
        } else {
            score = max(0, score - Self.missPenalty)
        }
    }
}
