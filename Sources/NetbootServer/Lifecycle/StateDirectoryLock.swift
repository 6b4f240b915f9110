import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `netboot serve` per state directory (issue 14 item 1): an exclusive `flock(2)` on
/// `state-dir/netboot.lock`, held for the life of the process and released by the kernel when
/// it ends, however it ends (a stale pid file cannot fake it). The file holds the holder's pid,
/// so a refused second instance, and `netboot debug dump-packets`, can name it.
public final class StateDirectoryLock: Sendable {
    /// `state-dir/netboot.lock`.
    public let path: String
    /// Kept open (and locked) until the process exits.
    private let descriptor: CInt

    private init(path: String, descriptor: CInt) {
        self.path = path
        self.descriptor = descriptor
    }

    /// `state-dir/netboot.lock`.
    public static func path(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("netboot.lock") }

    /// Why the lock was not taken.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// Another process holds it: its pid when the file names one.
        case held(path: String, pid: Int32?)
        /// The state directory or the lock file could not be made or opened.
        case unusable(path: String, reason: String)

        public var description: String {
            switch self {
            case let .held(path, pid):
                "another netboot serve (\(pid.map { "pid \($0)" } ?? "pid unknown")) holds \(path); stop it, or give this one another state-dir"
            case let .unusable(path, reason):
                "cannot lock \(path): \(reason)"
            }
        }
    }

    /// Creates the state directory when missing, then takes the lock and writes this process's
    /// pid into it; throws ``Failure/held(path:pid:)`` when another process has it.
    public static func acquire(stateDir: String) throws(Failure) -> StateDirectoryLock {
        let path = path(stateDir: stateDir)
        if let code = makeDirectories(stateDir) {
            throw .unusable(path: path, reason: "cannot create the state directory \(stateDir): \(String(cString: strerror(code)))")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .unusable(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw .held(path: path, pid: Self.pid(inFileAt: path)) }
            throw .unusable(path: path, reason: String(cString: strerror(code)))
        }
        let text = Array("\(getpid())\n".utf8)
        guard ftruncate(fd, 0) == 0, pwrite(fd, text, text.count, 0) == text.count else {
            let code = errno
            close(fd)
            throw .unusable(path: path, reason: String(cString: strerror(code)))
        }
        return StateDirectoryLock(path: path, descriptor: fd)
    }

    /// Who holds the lock of a state directory.
    public enum Holder: Equatable, Sendable {
        /// Nobody: no server runs on this state directory.
        case nobody
        /// A running server; its pid unless the file names none yet (it is just starting).
        case server(pid: Int32?)
        /// The lock file exists but cannot be opened (permissions): the reason.
        case unknown(reason: String)
    }

    /// Who holds the lock of `stateDir`. Probes with a shared lock, which a running server's
    /// exclusive lock refuses; never creates anything.
    public static func holder(stateDir: String) -> Holder {
        let path = path(stateDir: stateDir)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return errno == ENOENT ? .nobody : .unknown(reason: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return .nobody
        }
        return .server(pid: Self.pid(inFileAt: path))
    }

    private static func pid(inFileAt path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        return pid
    }

    /// `mkdir -p` (new directories 0750: state is not for everyone, issue 14 item 5): nil when
    /// `path` is a directory now, else the failing `mkdir`'s errno.
    private static func makeDirectories(_ path: String) -> Int32? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return isDirectory.boolValue ? nil : ENOTDIR }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, let code = makeDirectories(parent) { return code }
        return mkdir(path, 0o750) == 0 || errno == EEXIST ? nil : errno
    }
}
