#if canImport(Glibc)
import Glibc
#endif
import CLinuxEvents
import Foundation
import Logging
import Synchronization

/// The appliance's scheduling priorities: one nice value for its threads (`nice` in the
/// configuration, `tftp-serve --nice`), so that a DHCP request or a TFTP ACK is answered at once
/// while the machine is busy with other work — and an offset more for the threads that move
/// images in bulk (the HTTP event loops, ``markBulk(name:offset:)``, `http.nice-offset`), so that
/// the boot protocols come before the appliance's own image traffic (issue 21; docs/tftp.md,
/// "Threads and their priority").
///
/// Linux keeps the nice value per thread, and a new thread inherits its creator's; but the Swift
/// runtime's worker threads (libdispatch's `…-qos.overcommit`) can start at nice 0 whoever asks
/// for them, so ``maintain(nice:logger:every:)`` walks `/proc/self/task` again every few seconds.
public enum ProcessPriority {
    /// What ``maintain(nice:logger:every:)`` keeps, and the bulk threads' IDs with their offsets.
    struct State {
        /// The nice value of the appliance's other threads; nil until `maintain` runs (a
        /// standalone server that never calls it leaves every thread as started).
        var base: Int?
        var bulk: [pid_t: Int] = [:]
    }

    static let state = Mutex(State())

    /// The nice value of a thread `offset` nicer than `base` (within −20…19).
    static func target(base: Int, offset: Int) -> Int {
        min(19, max(-20, base + max(0, offset)))
    }

    /// Applies `nice` now and then again every `interval` seconds on a thread of its own
    /// (`netboot-nice`), for threads started later. When
    /// the system refuses `nice` (lowering it needs root or `CAP_SYS_NICE`) it says so once and
    /// keeps the nice value it was started with as the base. Bulk threads get their offset more.
    public static func maintain(nice: Int, logger: Logger, every interval: TimeInterval = 2) {
        let started = Int(netboot_current_nice())
        var base = nice == 0 ? started : nice
        state.withLock { $0.base = base }
        if let refused = apply() {
            logger.notice("netboot keeps its nice value: setting \(nice) failed (\(refused)); lowering it needs root or CAP_SYS_NICE")
            base = started
            state.withLock { $0.base = base }
            _ = apply()
        }
        let keeper = Thread {
            while true {
                Thread.sleep(forTimeInterval: interval)
                _ = apply()
            }
        }
        keeper.name = "netboot-nice"
        keeper.start()
    }

    /// Marks the calling thread as a bulk thread (and names it `name`, as `top -H` and
    /// /proc/PID/task/*/comm show it): while priorities are maintained, it runs `offset` nicer
    /// than the rest (at nice −10 and −5 a thread has three times a bulk thread's CPU weight, so
    /// a DHCP answer waits for a CPU behind no download).
    public static func markBulk(name: String, offset: Int) {
        _ = netboot_set_thread_name(name)
        let thread = netboot_gettid()
        let base = state.withLock { state in
            state.bulk[thread] = offset
            return state.base
        }
        if let base { _ = netboot_set_task_nice(thread, Int32(target(base: base, offset: offset))) }
    }

    /// The calling thread is no bulk thread any more (its event loop is stopping).
    public static func unmarkBulk() {
        let thread = netboot_gettid()
        state.withLock { _ = $0.bulk.removeValue(forKey: thread) }
    }

    /// Puts the calling thread in the real-time round-robin class at `priority` (1–99;
    /// `dhcp.realtime-priority`): it then runs as soon as it is woken, ahead of every thread of
    /// the normal class, whatever their nice values — a DHCP exchange needs three wake-ups (loop,
    /// store, loop) and each waited a time slice behind the image traffic and the machine's other
    /// work (issue 21, docs/performance.md "DHCP while imaging"). The kernel's RT throttling
    /// (`sched_rt_runtime_us`, 95 % by default) bounds what such threads can take. 0 does
    /// nothing. nil when done, else why not (lowering needs root or `CAP_SYS_NICE`).
    public static func realtime(priority: Int) -> String? {
        guard priority > 0 else { return nil }
        guard netboot_set_thread_realtime(Int32(min(99, priority))) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }

    /// Names the calling thread `name` (at most 15 bytes show).
    public static func name(_ name: String) {
        _ = netboot_set_thread_name(name)
    }

    /// Sets the nice values on every thread of this process now; nil when done, else why not.
    static func apply() -> String? {
        let (base, bulk) = state.withLock { ($0.base, $0.bulk) }
        guard let base else { return nil }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else {
            return "cannot list /proc/self/task"
        }
        for thread in names.compactMap({ pid_t($0) }) {
            let nice = Int32(target(base: base, offset: bulk[thread] ?? 0))
            if netboot_set_task_nice(thread, nice) != 0, errno != ESRCH {  // ESRCH: it ended
                return String(cString: strerror(errno))
            }
        }
        return nil
    }
}
