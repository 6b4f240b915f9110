#if canImport(Glibc)
import Glibc
#endif
import CLinuxEvents
import Foundation
import Logging
import NIOCore
import Synchronization

/// A thread that runs read transfers (``TFTPReadSession``s) with `epoll` and plain system
/// calls: per DATA/ACK round one `epoll_wait`, one `recvfrom` and one `sendto` or `sendmsg`,
/// and no allocation. While few transfers run it polls for a moment before sleeping
/// (``TFTPBusyPoll``), which saves a lockstep transfer the wakeup per block. A SwiftNIO
/// channel per transfer cost about 3 µs of CPU per block more (a `SocketAddress` with its
/// text form per datagram, pipeline hops, promises), which with hundreds of lockstep clients
/// was the difference between trailing and leading atftpd (docs/tftp.md, "Read transfers:
/// our own loop").
///
/// Everything but ``submit(_:)`` runs on the loop's own thread: the sessions, the deadline
/// heap and the receive buffer are confined to it, which is why the class is
/// `@unchecked Sendable`. Other threads talk to it through the inbox and an `eventfd`.
final class TFTPTransferLoop: @unchecked Sendable {
    enum Command: Sendable {
        case start(TFTPTransferContext, TFTPOpenedFile, TFTPTransferSocket)
        case loaded(session: UInt64, Result<ByteBuffer, TFTPReadError>)
        case stop
    }

    enum StartError: Error {
        case system(String, CInt)
    }

    private let epoll: CInt
    private let wake: CInt
    private let inbox = Mutex<[Command]>([])
    private let logger: Logger
    private let shared: TFTPTransferLoops.Shared
    private let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    // Loop-thread state.
    private var sessions: [UInt64: TFTPReadSession] = [:]
    private var heap = TFTPDeadlineHeap()
    private var nextSession: UInt64 = 1
    private var stopping = false
    private var busyPoll: TFTPBusyPoll

    /// Starts the thread.
    init(name: String, logger: Logger, shared: TFTPTransferLoops.Shared) throws {
        self.logger = logger
        self.shared = shared
        busyPoll = TFTPBusyPoll(budget: shared.busyPollBudget, maxTransfers: shared.busyPollMaxTransfers)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw StartError.system("epoll_create1", errno) }
        wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wake >= 0 else {
            let code = errno
            _ = Glibc.close(epoll)
            throw StartError.system("eventfd", code)
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = 0
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event) == 0 else {
            let code = errno
            _ = Glibc.close(wake)
            _ = Glibc.close(epoll)
            throw StartError.system("epoll_ctl", code)
        }
        let thread = Thread { [self] in
            _ = netboot_set_thread_name(name)
            run()
        }
        thread.start()
    }

    /// Hands a command to the loop (any thread).
    func submit(_ command: Command) {
        inbox.withLock { $0.append(command) }
        var one: UInt64 = 1
        _ = write(wake, &one, MemoryLayout<UInt64>.size)
    }

    /// Ends every transfer and the thread; returns once it is gone.
    func stop() async {
        submit(.stop)
        await withCheckedContinuation { continuation in
            let done = finished.withLock { state -> Bool in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    // MARK: loop thread

    private func run() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536 + 16, alignment: 16)
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while !stopping {
            let ready = waitForEvents(&events, timeout: heap.timeoutMilliseconds(now: .now))
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("tftp transfer loop: epoll_wait: \(String(cString: strerror(errno)))")
                break
            }
            let now = ContinuousClock.now
            for index in 0..<Int(ready) {
                let id = events[index].data.u64
                if id == 0 {
                    drainInbox(now: now)
                } else if let session = sessions[id] {
                    session.readable(now: now, buffer: buffer)
                    settle(session)
                }
            }
            fireDeadlines(now: ContinuousClock.now)
        }
        for session in sessions.values { session.shutdown() }
        shared.transfers.subtract(sessions.count, ordering: .relaxed)
        sessions.removeAll()
        buffer.deallocate()
        _ = Glibc.close(wake)
        _ = Glibc.close(epoll)
        let waiters = finished.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// `epoll_wait` with the heap's timeout, after polling with timeout 0 for a moment when
    /// ``TFTPBusyPoll`` says it is worth it.
    private func waitForEvents(_ events: inout [epoll_event], timeout: Int32) -> Int32 {
        if let budget = busyPoll.pollBudget(transfers: shared.transfers.load(ordering: .relaxed),
                                            ownTransfers: sessions.count, timeoutMilliseconds: timeout) {
            let until = ContinuousClock.now + budget
            repeat {
                let ready = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), 0) }
                if ready != 0 {
                    busyPoll.polled(hit: ready > 0)
                    return ready
                }
            } while ContinuousClock.now < until
            busyPoll.polled(hit: false)
        }
        return events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), timeout) }
    }

    private func drainInbox(now: ContinuousClock.Instant) {
        var count: UInt64 = 0
        _ = read(wake, &count, MemoryLayout<UInt64>.size)
        let commands = inbox.withLock { inbox -> [Command] in
            defer { inbox.removeAll(keepingCapacity: true) }
            return inbox
        }
        for command in commands {
            switch command {
            case let .start(setup, file, socket):
                begin(setup, file, socket, now: now)
            case let .loaded(id, result):
                guard let session = sessions[id] else { continue }
                session.loaded(result, now: now)
                settle(session)
            case .stop:
                stopping = true
            }
        }
    }

    private func begin(_ setup: TFTPTransferContext, _ file: TFTPOpenedFile, _ socket: TFTPTransferSocket,
                       now: ContinuousClock.Instant) {
        let id = nextSession
        nextSession += 1
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = id
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, socket.descriptor, &event) == 0 else {
            logger.error("tftp transfer loop: epoll_ctl: \(String(cString: strerror(errno)))")
            socket.close()
            file.close()
            setup.registry.release(setup.key)
            return
        }
        let session = TFTPReadSession(id: id, setup: setup, file: file, socket: socket, loop: self)
        sessions[id] = session
        shared.transfers.add(1, ordering: .relaxed)
        session.start(now: now)
        settle(session)
    }

    /// After an event: forgets a finished session (its socket is closed, which also takes it
    /// out of the epoll set), else makes sure its next deadline is in the heap.
    private func settle(_ session: TFTPReadSession) {
        if session.isFinished {
            if session.isDone, sessions.removeValue(forKey: session.id) != nil {
                shared.transfers.subtract(1, ordering: .relaxed)
            }
            return
        }
        guard let deadline = session.nextDeadline else { return }
        if let scheduled = session.scheduled, scheduled <= deadline { return }
        session.scheduled = deadline
        heap.push(deadline, session: session.id)
    }

    private func fireDeadlines(now: ContinuousClock.Instant) {
        while let entry = heap.popDue(at: now) {
            guard let session = sessions[entry.session], session.scheduled == entry.deadline else { continue }
            session.scheduled = nil
            if let deadline = session.nextDeadline, deadline <= now {
                session.deadlineReached(now: now)
            }
            settle(session)
        }
    }
}

/// The service's transfer loops; transfers are dealt out in turn.
final class TFTPTransferLoops: Sendable {
    /// What the loops share: the number of read transfers running in all of them (for
    /// ``TFTPBusyPoll``) and the busy-poll settings.
    final class Shared: Sendable {
        let transfers = Atomic<Int>(0)
        let busyPollBudget: Duration
        let busyPollMaxTransfers: Int

        init(busyPollBudget: Duration, busyPollMaxTransfers: Int) {
            self.busyPollBudget = busyPollBudget
            self.busyPollMaxTransfers = busyPollMaxTransfers
        }
    }

    let loops: [TFTPTransferLoop]
    let shared: Shared
    private let turn = Atomic<Int>(0)

    /// `busyPoll`: the longest poll before a loop sleeps (zero: never poll); polling happens
    /// only while at most half the cores' worth of read transfers run (``TFTPBusyPoll``).
    init(count: Int, busyPoll: Duration = .zero, cores: Int = TFTPServiceOptions.usableCores, logger: Logger) throws {
        let shared = Shared(busyPollBudget: busyPoll, busyPollMaxTransfers: TFTPBusyPoll.maxTransfers(cores: cores))
        self.shared = shared
        loops = try (0..<max(1, count)).map {
            try TFTPTransferLoop(name: "tftp-xfer-\($0)", logger: logger, shared: shared)
        }
    }

    func next() -> TFTPTransferLoop {
        loops[turn.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    func stop() async {
        for loop in loops { await loop.stop() }
    }
}
