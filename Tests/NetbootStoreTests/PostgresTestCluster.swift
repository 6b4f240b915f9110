import Foundation
import NetbootStore
import NetbootStorePostgres
import Testing

/// A throwaway PostgreSQL cluster for one test (issue 19: tests start a real PostgreSQL):
/// `initdb` in a temporary directory, `postgres` listening only on a Unix socket in that
/// directory (no TCP port, so parallel runs cannot collide), stopped and removed afterwards,
/// also when the test fails. As root (CI) the cluster runs as the `postgres` user, since
/// initdb refuses root.
///
/// Where Debian's `postgresql` package is missing the test is cancelled (skipped) with the
/// reason; with CI=true that is a failure instead.
struct PostgresTestCluster {
    static let binDirectories = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]
    let directory: String
    let bin: String
    let owner: String?

    var data: String { directory + "/data" }
    var socketPath: String { directory + "/.s.PGSQL.5432" }

    /// The first directory holding initdb, pg_ctl and postgres.
    static func findBinaries() -> String? {
        binDirectories.first { dir in
            ["initdb", "pg_ctl", "postgres", "createdb", "psql"].allSatisfy { FileManager.default.isExecutableFile(atPath: dir + "/" + $0) }
        }
    }

    /// Runs `body` with a fixture on a fresh cluster, which is stopped and removed afterwards.
    static func withDatabase<T>(_ body: (any StoreFixture) throws -> T) throws -> T {
        try withCluster { try body(PostgresFixture(cluster: $0)) }
    }

    /// Runs `body` with a started cluster, stopped and removed afterwards.
    static func withCluster<T>(_ body: (PostgresTestCluster) throws -> T) throws -> T {
        guard let bin = findBinaries() else {
            let reason = "PostgreSQL is not installed (Debian's postgresql package; scripts/install-deps test)"
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                throw ClusterError(description: "CI=true: \(reason)")
            }
            try Test.cancel(Comment(rawValue: reason))
        }
        sweepOrphans(bin: bin)
        let cluster = try PostgresTestCluster(bin: bin)
        defer { cluster.destroy() }
        try cluster.start()
        return try body(cluster)
    }

    init(bin: String) throws {
        self.bin = bin
        // Short: a socket path must fit in sun_path (108 bytes).
        directory = "/tmp/nbpg-" + UUID().uuidString.prefix(8).lowercased()
        owner = getuid() == 0 ? "postgres" : nil
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        // Who made it: a test process that crashed leaves its cluster, and the next run stops it.
        try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: directory + "/owner.pid"))
        if let owner {
            try Self.run(["/bin/chown", owner, directory])
        }
    }

    /// Stops and removes the clusters of test processes that no longer exist (a crash skips
    /// `defer`); other processes' clusters are left alone.
    static func sweepOrphans(bin: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for name in entries where name.hasPrefix("nbpg-") && !name.hasSuffix(".out") {
            let directory = "/tmp/" + name
            guard let text = try? String(contentsOfFile: directory + "/owner.pid", encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  kill(pid, 0) == -1, errno == ESRCH else { continue }
            let owner = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
            try? run(owner + [bin + "/pg_ctl", "-D", directory + "/data", "-m", "immediate", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    func start() throws {
        try run([bin + "/initdb", "-D", data, "-A", "trust", "-U", "netboot", "--no-sync", "-E", "UTF8"])
        try run([bin + "/pg_ctl", "-D", data, "-l", directory + "/log", "-w", "-t", "60",
                 "-o", "-k \(directory) -c listen_addresses='' -c fsync=off -c max_connections=40", "start"])
        try run([bin + "/createdb", "-h", directory, "-U", "netboot", "netboot"])
    }

    /// Stops the server (a fast shutdown), as an outage would.
    func stop() throws {
        try run([bin + "/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"])
    }

    /// Starts it again after `stop()`.
    func restart() throws {
        try run([bin + "/pg_ctl", "-D", data, "-l", directory + "/log", "-w", "-t", "60",
                 "-o", "-k \(directory) -c listen_addresses='' -c fsync=off -c max_connections=40", "start"])
    }

    /// Runs one SQL statement with psql, as the cluster's superuser.
    func psql(_ sql: String) throws {
        try run([bin + "/psql", "-h", directory, "-U", "netboot", "-d", "netboot", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    func destroy() {
        _ = try? run([bin + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The contract tests decide at fixed instants far from today, so their clock-skew bound is
    /// wide; `PostgresStoreTests` tests the guard itself.
    func settings(pool: Int = 4, maxClockSkew: TimeInterval = 10 * 365 * 86400) -> PostgresStore.Settings {
        PostgresStore.Settings(endpoint: .unixSocket(path: socketPath), user: "netboot", password: nil,
                               database: "netboot", pool: pool, connectTimeout: .seconds(5), maxClockSkew: maxClockSkew)
    }

    private func run(_ arguments: [String]) throws {
        let command = owner.map { ["/usr/sbin/runuser", "-u", $0, "--"] + arguments } ?? arguments
        try Self.run(command)
    }

    /// Runs `command` (posix_spawn, waitpid) with stdin from /dev/null, its output in a
    /// temporary file and every other descriptor closed (by a bash wrapper). Not Foundation's `Process`: the server
    /// `pg_ctl start` leaves running would inherit the descriptors `Process` watches for the
    /// child's exit (and any pipe), and the wait would never end.
    static func run(_ command: [String]) throws {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("nbpg-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // bash closes every inherited descriptor above 2, then runs the command.
        let closing = ["/bin/bash", "-c",
                       "for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ \"$n\" -gt 2 ]; then eval \"exec $n>&-\" 2>/dev/null; fi; done; exec \"$@\"",
                       "close-fds"] + command
        let argv: [UnsafeMutablePointer<CChar>?] = closing.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, closing[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw ClusterError(description: "cannot run \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED && WEXITSTATUS == 0
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ClusterError(description: "\(command.joined(separator: " ")) failed (status \(status)): \(text)")
        }
    }

    struct ClusterError: Error, CustomStringConvertible {
        var description: String
    }
}

/// The store contract's PostgreSQL fixture: every `open()` is a new `PostgresStore` (its own
/// pool), as a restarted or second appliance would be; each runs the migrations at start.
struct PostgresFixture: StoreFixture {
    let cluster: PostgresTestCluster

    func open() throws -> any StoreBackend {
        let store = try PostgresStore(settings: cluster.settings())
        try store.migrate()
        return store
    }
}
