import Foundation
import RotatingLog
import Synchronization

/// The runner's two logs, the seed's names with our prefix (seed C26, L5225-5244):
/// `netboot_tswizard.log` (choosing the sequence, inputs, prompts, start and resume) and
/// `netboot_ts_executor.log` (steps, driver output, reboots), rotated by the appliance's rules
/// (`LogRotationPolicy`). Every line passes through `redact`, which replaces each secret value
/// the run knows with `***`, so even a script that echoes a password does not put it on disk.
final class RunLogs: Sendable {
    private let wizard: Mutex<RotatingLogFile>
    private let executor: Mutex<RotatingLogFile>
    private let secrets = Mutex<[String]>([])
    private let echo: Bool
    let directory: String

    init(directory: String, echo: Bool) throws {
        self.directory = directory
        wizard = Mutex(try RotatingLogFile(policy: LogRotationPolicy(directory: directory, executable: "netboot_tswizard")))
        executor = Mutex(try RotatingLogFile(policy: LogRotationPolicy(directory: directory, executable: "netboot_ts_executor")))
        self.echo = echo
    }

    /// The secret values to hide from now on (longest first, so a value containing another
    /// is hidden whole).
    func setSecrets(_ values: [String]) {
        let sorted = values.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        secrets.withLock { $0 = sorted }
    }

    func redact(_ text: String) -> String {
        let values = secrets.withLock { $0 }
        var out = text
        for value in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: "***")
        }
        return out
    }

    func wizard(_ text: String) { write(text, to: wizard) }
    func executor(_ text: String) { write(text, to: executor) }

    private func write(_ text: String, to file: borrowing Mutex<RotatingLogFile>) {
        let line = "\(Self.timestamp()) \(redact(text))\n"
        file.withLock { try? $0.write(Array(line.utf8)) }
        if echo { FileHandle.standardError.write(Data(line.utf8)) }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1_000_000))
    }
}
