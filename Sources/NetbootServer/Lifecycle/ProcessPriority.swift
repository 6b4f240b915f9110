#if canImport(Glibc)
import Glibc
#endif
import CLinuxEvents
import Foundation
import Logging

/// The appliance's scheduling priority: one nice value for all its threads (`nice` in the
/// configuration, `tftp-serve --nice`), so that a DHCP request or a TFTP ACK is answered at once
/// while the machine is busy with other work, and no service of the appliance outranks another
/// (docs/tftp.md, "Threads and their priority").
///
/// Linux keeps the nice value per thread, and a new thread inherits its creator's; but the Swift
/// runtime's worker threads (libdispatch's `…-qos.overcommit`) can start at nice 0 whoever asks
/// for them, so ``maintain(nice:logger:every:)`` walks `/proc/self/task` again every few seconds.
public enum ProcessPriority {
    /// Applies `nice` now and then again every `interval` seconds on a thread of its own
    /// (`netboot-nice`), for threads started later. When the system refuses (lowering it needs
    /// root or `CAP_SYS_NICE`) it says so once and keeps nothing up.
    public static func maintain(nice: Int, logger: Logger, every interval: TimeInterval = 2) {
        guard nice != 0 else { return }
        if let refused = apply(nice: nice) {
            logger.notice("netboot keeps its nice value: setting \(nice) failed (\(refused)); lowering it needs root or CAP_SYS_NICE")
            return
        }
        let keeper = Thread {
            while true {
                Thread.sleep(forTimeInterval: interval)
                _ = apply(nice: nice)
            }
        }
        keeper.name = "netboot-nice"
        keeper.start()
    }

    /// Sets `nice` on every thread of this process now; nil when done, else why not.
    static func apply(nice: Int) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else {
            return "cannot list /proc/self/task"
        }
        for thread in names.compactMap({ pid_t($0) }) {
            if netboot_set_task_nice(thread, Int32(clamping: nice)) != 0, errno != ESRCH {  // ESRCH: it ended
                return String(cString: strerror(errno))
            }
        }
        return nil
    }
}
