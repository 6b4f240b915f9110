import Dispatch
import Foundation

/// The one writer of a rotating log file, shared by every `LogFileHandler` of the process.
///
/// Threading choice: a log call formats its line on the caller's thread, adds its size to a
/// pending count under a lock, and hands the bytes to a private serial dispatch queue, which
/// does the file I/O, the rotation and the gzip compression. An event loop therefore never
/// waits on the disk — only on a short lock and an enqueue. If the writer falls more than
/// `maxPendingBytes` behind (a stalled disk), new lines are dropped and counted, and the count
/// is written as its own line once the writer catches up: memory stays bounded.
public final class LogFileSink: @unchecked Sendable {
    // @unchecked: `file` is only touched on `queue`; `pending`, `dropped`, `failure` and
    // `flushHooks` only under `lock`.
    public let policy: LogRotationPolicy
    private let queue: DispatchQueue
    private let file: RotatingLogFile
    private let lock = NSLock()
    private var pending = 0
    private var dropped = 0
    private var failure: String?
    private var flushHooks: [@Sendable () -> Void] = []
    public let maxPendingBytes: Int

    /// Opens (creating the directory if needed) `<dir>/<exec>.log`. Throws when the directory
    /// or the file cannot be created.
    public init(policy: LogRotationPolicy, maxPendingBytes: Int = 8 << 20) throws {
        self.policy = policy
        self.maxPendingBytes = maxPendingBytes
        self.file = try RotatingLogFile(policy: policy)
        self.queue = DispatchQueue(label: "netboot.log.\(policy.executable)")
    }

    /// Queues one line (its bytes, newline included) for writing.
    public func write(_ line: String) {
        var bytes = Array(line.utf8)
        lock.lock()
        if pending + bytes.count > maxPendingBytes {
            dropped += 1
            lock.unlock()
            return
        }
        if dropped > 0 {
            bytes = Array("\(LogLineFormat.timestamp(Date())) warning [netboot.log] \(dropped) log lines dropped: the log writer fell behind\n".utf8) + bytes
            dropped = 0
        }
        pending += bytes.count
        lock.unlock()
        let line = bytes
        queue.async { [self] in
            var error: String?
            do { try file.write(line) } catch let writeError { error = "\(writeError)" }
            lock.lock()
            pending -= line.count
            let report = error != nil && error != failure
            failure = error
            lock.unlock()
            if report, let error {
                FileHandle.standardError.write(Data("netboot: cannot write log file: \(error)\n".utf8))
            }
        }
    }

    /// Runs `hook` at the start of every ``flush()`` (to write what is still held back, such
    /// as `RepeatedLineFilter`'s summaries).
    public func beforeFlush(_ hook: @escaping @Sendable () -> Void) {
        lock.lock()
        flushHooks.append(hook)
        lock.unlock()
    }

    /// Waits until every queued line is on disk (at shutdown, and in tests).
    public func flush() {
        lock.lock()
        let hooks = flushHooks
        lock.unlock()
        for hook in hooks { hook() }
        queue.sync {}
    }
}
