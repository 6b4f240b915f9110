import Foundation
import RunnerCore
import TaskSequenceDrivers
#if canImport(Glibc)
import Glibc
#endif

/// The runner's state directory (mode 0700): `state` (the journal and inputs, written
/// atomically before each step and before a reboot), `outbox.jsonl` (reports not yet sent),
/// `tsvar.sock` (the variable socket while a run is active), `lock`, `logs/`.
struct StateDirectory {
    static let defaultPath = "/var/lib/netboot-runner"

    let path: String
    var statePath: String { path + "/state" }
    var outboxPath: String { path + "/outbox.jsonl" }
    var socketPath: String { path + "/tsvar.sock" }
    var lockPath: String { path + "/lock" }

    /// Creates the directory (0700) if needed.
    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
    }

    var hasState: Bool { FileManager.default.fileExists(atPath: statePath) }

    func write(_ state: RunState) throws {
        try AtomicFile.write(try StateFile.encode(state), to: statePath, mode: 0o600)
    }

    func read() throws -> RunState {
        guard let data = FileManager.default.contents(atPath: statePath) else {
            throw RunnerError.state("no run in \(path) (no state file)")
        }
        do {
            return try StateFile.decode(Array(data))
        } catch {
            throw RunnerError.state("\(statePath): \(error.description); resume refused, nothing was run")
        }
    }

    /// Takes an exclusive lock so that two runners never drive one state directory.
    func lock() throws -> Int32 {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            throw RunnerError.state("another netboot-runner is using \(path)")
        }
        return fd
    }
}

/// Errors that end the runner, with their exit codes (docs/task-sequences.md).
enum RunnerError: Error, CustomStringConvertible {
    /// Bad arguments, sequence or inputs; missing variables (exit 2).
    case input(String)
    /// No state, damaged state, resume refused (exit 3).
    case state(String)
    /// I/O failed while running (exit 4).
    case io(String)

    var description: String {
        switch self {
        case .input(let text), .state(let text), .io(let text): return text
        }
    }

    var exitCode: Int32 {
        switch self {
        case .input: return 2
        case .state: return 3
        case .io: return 4
        }
    }
}
