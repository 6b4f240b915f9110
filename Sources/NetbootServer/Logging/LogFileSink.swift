import Dispatch
import Foundation

/// The one writer of a rotating log file, shared by every `LogFileHandler` of the process.
///
/// Threading choice: a log call formats its line on the caller's thread and appends its bytes
/// to one pending buffer under a short lock; a private serial dispatch queue does the file I/O,
/// the rotation and the gzip compression. Writes are batched (issue 21): the first line into an
/// empty buffer schedules one drain `batchDelay` later, and that drain writes everything that
/// arrived meanwhile with one `write` per `chunkBytes` — not a dispatch hop, a thread wake-up
/// and a system call per line, which cost a busy HTTP server a third of its small-file rate.
/// An event loop therefore never waits on the disk — only on the lock. If the writer falls
/// more than `maxPendingBytes` behind (a stalled disk), new lines are dropped and counted, and
/// the count is written as its own line once the writer catches up: memory stays bounded.
/// ``flush()`` (at shutdown) writes what is pending at once, so no line is lost.
public final class LogFileSink: @unchecked Sendable {
    // @unchecked: `file` is only touched on `queue`; `buffer`, `recycled`, `drainScheduled`,
    // `pending`, `dropped`, `failure` and `flushHooks` only under `lock`.
    public let policy: LogRotationPolicy
    private let queue: DispatchQueue
    private let file: RotatingLogFile
    private let lock = NSLock()
    /// Lines written but not yet handed to the file, in order.
    private var buffer: [UInt8] = []
    /// The drained buffer of the last batch, emptied, kept for its capacity.
    private var recycled: [UInt8] = []
    private var drainScheduled = false
    private var pending = 0
    private var dropped = 0
    private var failure: String?
    private var flushHooks: [@Sendable () -> Void] = []
    private var writes = 0
    public let maxPendingBytes: Int
    /// How long the first line of a batch waits for others before the writer runs.
    public let batchDelay: DispatchTimeInterval
    /// Largest single `write`; a batch is cut at line ends (and at the file's size limit), so
    /// the file still rotates before the first line that would take it past its limit.
    static let chunkBytes = 64 * 1024

    /// Opens (creating the directory if needed) `<dir>/<exec>.log`. Throws when the directory
    /// or the file cannot be created.
    public init(policy: LogRotationPolicy, maxPendingBytes: Int = 8 << 20,
                batchDelay: DispatchTimeInterval = .milliseconds(5)) throws {
        self.policy = policy
        self.maxPendingBytes = maxPendingBytes
        self.batchDelay = batchDelay
        self.file = try RotatingLogFile(policy: policy)
        self.queue = DispatchQueue(label: "netboot.log.\(policy.executable)")
    }

    /// Queues one line (its bytes, newline included) for writing.
    public func write(_ line: String) {
        var line = line
        let count = line.utf8.count
        lock.lock()
        if pending + count > maxPendingBytes {
            dropped += 1
            lock.unlock()
            return
        }
        if dropped > 0 {
            let note = "\(LogLineFormat.timestamp(Date())) warning [netboot.log] \(dropped) log lines dropped: the log writer fell behind\n"
            buffer.append(contentsOf: note.utf8)
            pending += note.utf8.count
            dropped = 0
        }
        line.withUTF8 { buffer.append(contentsOf: $0) }
        pending += count
        let schedule = !drainScheduled
        drainScheduled = true
        lock.unlock()
        if schedule {
            queue.asyncAfter(deadline: .now() + batchDelay) { [self] in drain() }
        }
    }

    /// Writes what is pending (on `queue`).
    private func drain() {
        lock.lock()
        var bytes = buffer
        buffer = recycled
        recycled = []
        drainScheduled = false
        lock.unlock()
        let written = bytes.count
        guard written > 0 else { return }
        var error: String?
        var start = 0
        var calls = 0
        let newline = UInt8(ascii: "\n")
        while start < written {
            // At most a chunk, and no further than the file's size limit, so that it still
            // rotates before the first line that would pass it; always whole lines.
            var end = min(written, start + Self.chunkBytes)
            let room = file.policy.sizeLimit - file.size
            if room > 0, start + room < end { end = start + room }
            if end < written {
                if let last = bytes[start..<end].lastIndex(of: newline) {
                    end = last + 1
                } else {
                    end = bytes[end...].firstIndex(of: newline).map { $0 + 1 } ?? written
                }
            }
            do {
                try file.write(start == 0 && end == written ? bytes : Array(bytes[start..<end]))
            } catch let writeError {
                error = "\(writeError)"
            }
            start = end
            calls += 1
        }
        bytes.removeAll(keepingCapacity: bytes.capacity <= Self.chunkBytes * 4)
        lock.lock()
        pending -= written
        writes += calls
        recycled = bytes
        let report = error != nil && error != failure
        failure = error
        lock.unlock()
        if report, let error {
            FileHandle.standardError.write(Data("netboot: cannot write log file: \(error)\n".utf8))
        }
    }

    /// How many writes reached the file so far (each holds one batch, or a 64 KiB part of one).
    var fileWrites: Int {
        lock.lock()
        defer { lock.unlock() }
        return writes
    }

    /// Runs `hook` at the start of every ``flush()`` (to write what is still held back, such
    /// as `RepeatedLineFilter`'s summaries).
    public func beforeFlush(_ hook: @escaping @Sendable () -> Void) {
        lock.lock()
        flushHooks.append(hook)
        lock.unlock()
    }

    /// Waits until every queued line is on disk (at shutdown, and in tests), without waiting
    /// for the batch delay.
    public func flush() {
        lock.lock()
        let hooks = flushHooks
        lock.unlock()
        for hook in hooks { hook() }
        queue.sync { drain() }
    }
}
