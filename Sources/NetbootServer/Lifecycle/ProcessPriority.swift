#if canImport(Glibc)
import Glibc
#endif
import CLinuxEvents
import Foundation

/// The appliance's scheduling priority: one nice value for all its threads (`nice` in the
/// configuration, `tftp-serve --nice`), so that a DHCP request or a TFTP ACK is answered at once
/// while the machine is busy with other work, and no service of the appliance outranks another
/// (docs/tftp.md, "Threads and their priority").
///
/// Linux keeps the nice value per thread, and a new thread inherits its creator's; but the Swift
/// runtime's worker threads (libdispatch's `…-qos.overcommit`) can start at nice 0 whoever asks
/// for them, so ``maintain(nice:every:)`` walks `/proc/self/task` again every few seconds.
public enum ProcessPriority {
    /// Applies `nice` now and then again every `interval` on a thread of its own (`netboot-nice`),
    /// for threads started later. Nil when done, else why not (and then nothing is kept up).
    public static func maintain(nice: Int, every interval: Duration = .seconds(2)) -> String? {
        guard nice != 0 else { return nil }
        if let refused = apply(nice: nice) { return refused }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18
        let keeper = Thread {
            while true {
                Thread.sleep(forTimeInterval: seconds)
                _ = apply(nice: nice)
            }
        }
        keeper.name = "netboot-nice"
        keeper.start()
        return nil
    }

    /// Sets `nice` on every thread of this process. Nil when done (or when `nice` is 0: as
    /// started), else why it could not be (lowering it needs root or `CAP_SYS_NICE`).
    public static func apply(nice: Int) -> String? {
        guard nice != 0 else { return nil }
        var done: Set<pid_t> = []
        // A thread started while the list is walked may have inherited the old value: walk again
        // until a pass finds no new thread.
        for _ in 0..<4 {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else {
                return "cannot list /proc/self/task"
            }
            let fresh = names.compactMap { pid_t($0) }.filter { !done.contains($0) }
            if fresh.isEmpty { return nil }
            for thread in fresh {
                if netboot_set_task_nice(thread, Int32(clamping: nice)) != 0, errno != ESRCH {  // ESRCH: it ended
                    return String(cString: strerror(errno))
                }
                done.insert(thread)
            }
        }
        return nil
    }
}
