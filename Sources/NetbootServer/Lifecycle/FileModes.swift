import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who may read what netboot writes (issue 14 item 5). Nothing is world-readable: the state
/// directory and the directories netboot creates are `0750`, logs and their archives `0640`
/// (the owner's group, `adm` say, may read them), and what can hold a client's data or the
/// server's state — the database (`NetbootStore.SQLiteStore.fileMode`), captures and flight
/// recordings, the pid file — `0600`. The process umask (`027`) covers anything a library
/// creates behind our back; the explicit modes hold whatever umask the process was started with.
public enum FileModes {
    /// The umask every `netboot` command runs with (set first thing in `main`).
    public static let processUmask: mode_t = 0o027
    /// The state directory, the log and capture directories.
    public static let directory: mode_t = 0o750
    /// Log files and their `.N.log.gz` archives.
    public static let log: mode_t = 0o640
    /// Captures, flight recordings, the pid file.
    public static let privateFile: mode_t = 0o600

    /// Sets the process umask to ``processUmask``.
    public static func restrictProcessUmask() {
        umask(processUmask)
    }

    /// Creates `path` and any missing parents with ``directory`` (whatever the umask). An
    /// existing directory is left as it is: it may be shared (`state-dir: /srv` or `/tmp`), and
    /// what netboot writes into it is not world-readable anyway.
    public static func createDirectory(_ path: String) throws {
        var missing: [String] = []
        var current = path
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for created in missing { chmod(created, directory) }
    }

    /// Writes `bytes` to a new or truncated file at `path` with `mode` (also when the file
    /// already existed with another mode).
    public static func write(_ bytes: some Collection<UInt8>, to path: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw WriteFailure(call: "open", path: path, code: errno) }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else { throw WriteFailure(call: "chmod", path: path, code: errno) }
        let data = Array(bytes)
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress.map { $0 + offset }, data.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw WriteFailure(call: "write", path: path, code: errno)
            }
            offset += written
        }
    }

    /// A failed system call on a path, with its reason (`open /var/x: Permission denied`).
    public struct WriteFailure: Error, CustomStringConvertible {
        public var call: String
        public var path: String
        public var code: Int32
        public var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
    }
}
