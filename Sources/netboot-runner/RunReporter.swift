import Foundation
import TaskSequenceCore
#if canImport(Glibc)
import Glibc
#endif

/// Where run reports go: one small protocol, so that the local outbox of today and the bridge
/// client of issue 16 §6 are interchangeable. A report carries no variable value.
protocol RunReporter {
    func report(_ report: RunReport, sequence: Int, at time: Double) throws
    /// The same with the journal's message for a step that did not succeed (the driver's
    /// reason: "SHA-256 mismatch: …"), for reporters that carry it to the appliance.
    func report(_ report: RunReport, detail: String?, sequence: Int, at time: Double) throws
    /// The sequence number of the last report written (per client, monotonic across reboots).
    var lastSequence: Int { get }
    /// An image step's progress: raw bytes written, bytes per second, seconds left if known.
    func progress(pointer: Int, bytes: Int, rate: Int, eta: Int?)
}

extension RunReporter {
    func report(_ report: RunReport, detail: String?, sequence: Int, at time: Double) throws {
        try self.report(report, sequence: sequence, at: time)
    }

    /// The local outbox keeps step reports only (progress is in the executor log).
    func progress(pointer: Int, bytes: Int, rate: Int, eta: Int?) {}
}

/// The local outbox: one JSON object a line in `outbox.jsonl`, fsynced, kept across reboots
/// (a bridge client will send and trim it).
final class OutboxFile: RunReporter {
    let path: String
    private(set) var lastSequence: Int

    struct Entry: Codable {
        var sequence: Int
        var time: Double
        var report: RunReport
    }

    init(path: String) {
        self.path = path
        lastSequence = 0
        if let data = FileManager.default.contents(atPath: path) {
            for line in data.split(separator: 0x0A) {
                if let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)) { lastSequence = max(lastSequence, entry.sequence) }
            }
        }
    }

    func report(_ report: RunReport, sequence: Int, at time: Double) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(Entry(sequence: sequence, time: time, report: report))
        line.append(0x0A)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RunnerError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw RunnerError.io("cannot write \(path)") }
        lastSequence = sequence
    }
}
