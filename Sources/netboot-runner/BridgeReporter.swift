import Foundation
import TaskSequenceCore
import TaskSequenceDrivers
#if canImport(Glibc)
import Glibc
#endif

/// Run reports to the appliance's bridge (issue 16 §6, docs/task-sequences.md "Runs through
/// the bridge"): each report becomes a step event (`start`/`finish` paired by the step's
/// pointer, progress, log lines) with the client's next event sequence number, written and
/// fsynced to `outbox.jsonl` first, then sent in order by a sender thread. An unreachable
/// appliance only delays the sending (retried with doubling delays up to 30 s); the run goes
/// on, and the outbox survives a reboot (`outbox.sent` holds the last acknowledged number).
/// Events carry names, results and exit codes, never a variable value.
final class BridgeReporter: RunReporter, @unchecked Sendable {
    struct Entry: Codable {
        var sequence: Int64
        /// The request body exactly as sent (so a resent event is the same event).
        var body: String
    }

    let client: BridgeClient
    let runID: String
    let outboxPath: String
    let sentPath: String
    private let names: [Int: String]
    private let log: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var pending: [Entry] = []
    private var next: Int64
    private var acked: Int64
    private var lastProgress: Double = 0

    /// Loads the outbox left by an earlier boot (its unacknowledged events are sent first);
    /// `firstSequence` numbers a new run's first event (the bridge says which is next).
    init(client: BridgeClient, runID: String, directory: StateDirectory, program: Program, firstSequence: Int64,
         log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.runID = runID
        outboxPath = directory.outboxPath
        sentPath = directory.path + "/outbox.sent"
        var names: [Int: String] = [:]
        for (pointer, instruction) in program.instructions.enumerated() { names[pointer] = instruction.options.name }
        self.names = names
        self.log = log
        var entries: [Entry] = []
        if let data = FileManager.default.contents(atPath: outboxPath) {
            // A torn last line (power cut mid-write) was never acknowledged nor sent: dropped.
            for line in data.split(separator: 0x0A) {
                if let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)) { entries.append(entry) }
            }
        }
        let sent = (try? String(contentsOfFile: directory.path + "/outbox.sent", encoding: .utf8))
        let acknowledged = sent.flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        acked = acknowledged
        pending = entries.filter { $0.sequence > acknowledged }
        next = max(firstSequence, (entries.map(\.sequence).max() ?? 0) + 1)
    }

    /// Starts the sender thread (queued events from an earlier boot go first).
    func start() {
        Thread { [self] in sendLoop() }.start()
    }

    var lastSequence: Int {
        condition.lock()
        defer { condition.unlock() }
        return Int(next - 1)
    }

    /// Events not yet acknowledged by the bridge.
    var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    func report(_ report: RunReport, sequence: Int, at time: Double) throws {
        try self.report(report, detail: nil, sequence: sequence, at: time)
    }

    /// `detail`: the driver's reason for a step that failed, sent as the finish event's message
    /// after the status (`failed: SHA-256 mismatch: …`) so `netboot ts runs show` says why.
    func report(_ report: RunReport, detail: String?, sequence: Int, at time: Double) throws {
        let at = Int64((time * 1000).rounded())
        switch report {
        case .stepStarted(let pointer, _):
            try append(["kind": "start", "step": pointer, "name": name(pointer), "at_ms": at])
        case .stepSkipped(let pointer, let status):
            try append(["kind": "finish", "step": pointer, "name": name(pointer), "at_ms": at, "result": "skipped", "message": status.rawValue])
        case .stepFinished(let pointer, let status, let code, _):
            var event: [String: Any] = ["kind": "finish", "step": pointer, "name": name(pointer), "at_ms": at,
                                        "result": status == .succeeded ? "success" : "failed"]
            if let code { event["exit_code"] = Int(code) }
            if status != .succeeded {
                event["message"] = detail.map { "\(status.rawValue): \($0.prefix(2000))" } ?? status.rawValue
            }
            try append(event)
        case .started(let sequence, let count):
            try append(["kind": "log", "step": 0, "name": "run", "at_ms": at, "text": "task sequence '\(sequence)' started (\(count) instructions)"])
        case .resumed(let pointer):
            try append(["kind": "log", "step": pointer, "name": name(pointer), "at_ms": at, "text": "resumed at step \(pointer)"])
        case .retryScheduled(let pointer, let attempt, let retryAt):
            try append(["kind": "log", "step": pointer, "name": name(pointer), "at_ms": at,
                        "text": "will retry (attempt \(attempt)) in \(max(0, Int((retryAt - time).rounded()))) s"])
        case .rebooting(let resumeAt):
            try append(["kind": "log", "step": resumeAt, "name": name(resumeAt), "at_ms": at, "text": "rebooting; continues at step \(resumeAt)"])
        case .finished(let outcome):
            let text: String
            switch outcome {
            case .success: text = "finished: success"
            case .failure(let at): text = "finished: failed at step \(at)"
            }
            try append(["kind": "log", "step": 0, "name": "run", "at_ms": at, "text": text])
        }
    }

    /// An image step's progress, at most one event every 2 seconds (from the driver's thread).
    func progress(pointer: Int, bytes: Int, rate: Int, eta: Int?) {
        let now = Date().timeIntervalSince1970
        condition.lock()
        let due = now - lastProgress >= 2
        if due { lastProgress = now }
        condition.unlock()
        guard due else { return }
        var event: [String: Any] = ["kind": "progress", "step": pointer, "name": name(pointer), "at_ms": Int64((now * 1000).rounded()),
                                    "bytes": bytes, "rate": rate]
        if let eta { event["eta"] = eta }
        try? append(event, sync: false)
    }

    private func name(_ pointer: Int) -> String { names[pointer] ?? "step \(pointer)" }

    private func append(_ fields: [String: Any], sync: Bool = true) throws {
        condition.lock()
        defer { condition.unlock() }
        var object = fields
        object["sequence"] = next
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        let entry = Entry(sequence: next, body: String(decoding: body, as: UTF8.self))
        var line = try JSONEncoder().encode(entry)
        line.append(0x0A)
        let fd = open(outboxPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RunnerError.io("cannot open \(outboxPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, !sync || fsync(fd) == 0 else { throw RunnerError.io("cannot write \(outboxPath)") }
        next += 1
        pending.append(entry)
        condition.broadcast()
    }

    /// Sends the oldest pending event until none is left; waits when the bridge cannot be
    /// reached. A 2xx (or 202 duplicate) acknowledges; a 4xx other than 408/429 rejects the
    /// event (logged, kept in the outbox, not sent again).
    private func sendLoop() {
        var delay = 1.0
        while true {
            condition.lock()
            // Runs until the process exits (after `drain`, or with events left for resume).
            while pending.isEmpty { condition.wait() }
            let entry = pending[0]
            condition.unlock()
            var retry = false
            do {
                let answer = try client.send("POST", "/v1/runs/\(runID)/events", json: Data(entry.body.utf8))
                switch answer.status {
                case 200..<300:
                    break
                case 408, 429, 500...:
                    retry = true
                    log("bridge: event \(entry.sequence) answered \(answer.status); retrying")
                default:
                    log("bridge: event \(entry.sequence) rejected with \(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
                }
            } catch {
                retry = true
                log("bridge: event \(entry.sequence) not sent (\(error)); queued, retrying in \(Int(delay)) s")
            }
            if retry {
                condition.lock()
                _ = condition.wait(until: Date().addingTimeInterval(delay))
                condition.unlock()
                delay = min(30, delay * 2)
                continue
            }
            delay = 1
            condition.lock()
            acked = entry.sequence
            if pending.first?.sequence == entry.sequence { pending.removeFirst() }
            try? AtomicFile.write(Array("\(acked)\n".utf8), to: sentPath, mode: 0o600)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Waits until every event is acknowledged, or `seconds` passed; true when all were.
    func drain(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !pending.isEmpty {
            condition.broadcast()
            if !condition.wait(until: min(deadline, Date().addingTimeInterval(1))), Date() >= deadline { break }
        }
        return pending.isEmpty
    }
}
