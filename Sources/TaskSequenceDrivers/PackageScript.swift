import CLinuxRunner
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Run Script and Install Software (seed C14, L4794-4834, L5052-5090), Linux: a package is a
/// folder `--packages DIR/NAME/`. Run Script runs `script` inside it with `arguments`;
/// Install Software runs the package's `install.sh`; the automatic last step (Install Client,
/// seed L5214-5215) runs `netboot-client/install.sh` when that package exists. The process
/// runs in the package folder with `PMM_TS_VARIABLE_UTIL` (the `tsvar` path) and
/// `NETBOOT_TSVAR_SOCKET` set; its output goes to the executor log line by line (redacted of
/// secrets by the runner); a fired timeout sends SIGTERM, then SIGKILL after 5 s.
public struct PackageScriptDriver: StepDriver {
    public static let clientPackage = "netboot-client"
    public static let installScript = "install.sh"

    public init() {}

    public func run(_ step: ResolvedStep, context: StepContext) -> DriverResult {
        let package: String
        let script: String
        var arguments: [String] = []
        switch step.type {
        case .runScript:
            package = step.properties["package"] ?? ""
            script = step.properties["script"] ?? ""
            arguments = step.lists["arguments"] ?? []
        case .installSoftware:
            package = step.properties["package"] ?? ""
            script = Self.installScript
        case .installClient:
            package = Self.clientPackage
            script = Self.installScript
        default:
            return .failed("\(step.type.rawValue) is not a script step")
        }
        guard Self.isSafeName(package) else { return .failed("package name '\(package.prefix(80))' is not a folder name") }
        guard Self.isSafeRelativePath(script) else { return .failed("script '\(script.prefix(80))' must be a path inside the package") }
        guard let packages = context.packagesDirectory else {
            if step.type == .installClient {
                context.log("no packages directory: no client to install")
                return .exited(0)
            }
            return .failed("no packages directory (--packages DIR)")
        }
        let folder = "\(packages)/\(package)"
        let path = "\(folder)/\(script)"
        guard FileManager.default.fileExists(atPath: path) else {
            if step.type == .installClient {
                context.log("no \(Self.clientPackage) package in \(packages): no client to install")
                return .exited(0)
            }
            return .failed("\(script) not found in package \(package) (\(folder))")
        }
        if context.dryRun {
            context.log("would run \(path) \(arguments.count) argument(s)")
            return .exited(0)
        }
        var environment = ProcessInfo.processInfo.environment
        if let utility = context.variableUtility { environment["PMM_TS_VARIABLE_UTIL"] = utility }
        if let socket = context.variableSocket { environment["NETBOOT_TSVAR_SOCKET"] = socket }
        // A script that is not executable runs with /bin/sh (packages copied without modes).
        let executable = access(path, X_OK) == 0 ? path : "/bin/sh"
        let argv = executable == path ? arguments : [path] + arguments
        return ChildProcess.run(executable: executable, arguments: argv, environment: environment,
                                directory: folder, stdin: nil, context: context)
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.contains("\0")
            && !path.split(separator: "/").contains("..")
    }
}

/// Runs a child process for a driver: in its own process group (so a timeout stops the
/// script and everything it started), output lines to the log, optional stdin bytes (a
/// secret passed to a tool without argv), cancellation by SIGTERM to the group, then SIGKILL
/// after 5 s.
public enum ChildProcess {
    public static func run(executable: String, arguments: [String], environment: [String: String]? = nil,
                           directory: String? = nil, stdin: [UInt8]?, context: StepContext) -> DriverResult {
        var output: [Int32] = [-1, -1]
        var input: [Int32] = [-1, -1]
        guard pipe(&output) == 0, pipe(&input) == 0 else { return .failed("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        for fd in [input[0], input[1], output[0], output[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
        if let directory { posix_spawn_file_actions_addchdir_np(&actions, directory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            env.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        close(input[0])
        close(output[1])
        guard spawned == 0 else {
            close(input[1])
            close(output[0])
            return .failed("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        if let stdin {
            stdin.withUnsafeBytes { buffer in
                var done = 0
                while done < buffer.count, let base = buffer.baseAddress {
                    let n = write(input[1], base + done, buffer.count - done)
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { break }
                    done += n
                }
            }
        }
        close(input[1])

        let log = context.log
        let reader = output[0]
        let readerThread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(reader, &buffer, buffer.count)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                pending += buffer[0..<n]
                while let newline = pending.firstIndex(of: 0x0A) {
                    log("| " + String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { log("| " + String(decoding: pending, as: UTF8.self)) }
        }
        readerThread.start()

        var status: Int32 = 0
        var terminatedAt: Double?
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            if waited < 0, errno != EINTR { break }
            if context.cancellation.isCancelled {
                let now = Monotonic.now()
                if terminatedAt == nil {
                    terminatedAt = now
                    kill(-pid, SIGTERM)
                } else if let at = terminatedAt, now - at > 5 {
                    kill(-pid, SIGKILL)
                }
            }
            usleep(10_000)
        }
        if terminatedAt != nil { kill(-pid, SIGKILL) }
        // A background child may keep the pipe open: wait for the output at most 2 s.
        let exitedAt = Monotonic.now()
        while !readerThread.isFinished, Monotonic.now() - exitedAt < 2 { usleep(5_000) }
        if readerThread.isFinished { close(reader) }
        let name = (executable as NSString).lastPathComponent
        if status & 0x7F != 0 { return .failed("\(name) was killed by signal \(status & 0x7F)") }
        return .exited((status >> 8) & 0xFF)
    }
}
