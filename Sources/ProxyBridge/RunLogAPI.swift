import BridgeCore
import Foundation
import Hummingbird
import NetbootStore
#if canImport(Glibc)
import Glibc
#endif

/// The run-log route's row of ``BridgeRoute`` (issue 16 §2 "uploaded to the appliance at the
/// end"; docs/bridge.md "Run logs").
extension BridgeRoute {
    public static let runLogs: [BridgeRoute] = [
        BridgeRoute(port: .client, method: "PUT", path: "/v1/runs/{id}/logs/{name}", scope: .runsWrite, operation: "uploadRunLog",
                    summary: "Store one of the runner's logs (netboot_tswizard.log, netboot_ts_executor.log) for one of this "
                        + "machine's runs, running or finished; the same name again replaces it. `netboot ts runs show` lists them.",
                    responses: [201: "Stored: its name and size.", 400: "Not a log name (NAME.log).", 401: "No live client token.",
                                403: "Not a client token.", 404: "No such run of this machine.",
                                409: "The run has its most logs already.", 413: "Body too large."],
                    requestMediaType: "text/plain"),
    ]
}

/// Where the bridge keeps the logs runners send: `state-dir/run-logs/<run id>/<name>`, written
/// atomically (temporary file, fsync, rename), read by `netboot ts runs show`.
public enum RunLogFiles {
    public static let subdirectory = "run-logs"
    /// The most log files one run may keep.
    public static let maxPerRun = 16

    public struct Entry: Sendable, Equatable, Codable {
        public var name: String
        public var bytes: Int
        public var path: String
    }

    /// A log name: one safe path component ending in `.log`.
    public static func isValidName(_ name: String) -> Bool {
        FileName.isSafe(name) && name.hasSuffix(".log") && name.count <= 128
    }

    public static func directory(stateDirectory: String, run: String) -> String {
        "\(stateDirectory)/\(subdirectory)/\(run)"
    }

    /// The run's logs by name.
    public static func list(stateDirectory: String, run: String) -> [Entry] {
        let directory = directory(stateDirectory: stateDirectory, run: run)
        guard FileName.isSafe(run), let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter(isValidName).sorted().compactMap { name in
            let path = "\(directory)/\(name)"
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return nil }
            return Entry(name: name, bytes: size, path: path)
        }
    }

    static func store(_ data: Data, name: String, run: String, stateDirectory: String) throws -> Entry {
        let directory = directory(stateDirectory: stateDirectory, run: run)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = "\(directory)/\(name)"
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw BridgeError(status: .internalServerError, message: "cannot store the log", field: nil)
        }
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw BridgeError(status: .internalServerError, message: "cannot store the log", field: nil)
        }
        return Entry(name: name, bytes: data.count, path: path)
    }
}

/// `PUT /v1/runs/{id}/logs/{name}` (client port): a runner sends its logs at the end of a run
/// (succeeded or failed). The caller's token must be the run's device; logs are redacted by
/// the runner before they reach a file, and the bridge stores them as they come (≤
/// `max-body-bytes`).
struct RunLogAPI: Sendable {
    let store: any BridgeRecords
    let stateDirectory: String
    let maxBodyBytes: Int
    let audit: AuditTrail

    var handlers: [String: BridgeRouter.Handler] { ["uploadRunLog": upload] }

    @Sendable func upload(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let mac = context.caller?.deviceMAC else { throw BridgeError.forbidden }
        let id = context.parameters.get("id") ?? ""
        let name = context.parameters.get("name") ?? ""
        let store = store
        guard let run = try await Blocking.run({ try store.run(id: id) }), run.mac == mac, FileName.isSafe(run.id) else { throw BridgeError.notFound }
        guard RunLogFiles.isValidName(name) else {
            throw BridgeError(status: .badRequest, message: "'\(name)' is not a log name (NAME.log)", field: "name")
        }
        let existing = RunLogFiles.list(stateDirectory: stateDirectory, run: run.id)
        if existing.count >= RunLogFiles.maxPerRun, !existing.contains(where: { $0.name == name }) {
            throw BridgeError(status: .conflict, message: "run \(run.id) keeps at most \(RunLogFiles.maxPerRun) logs", field: "name")
        }
        let body = try await request.collectBody(limit: maxBodyBytes)
        let directory = stateDirectory
        let entry = try await Blocking.run { try RunLogFiles.store(body, name: name, run: run.id, stateDirectory: directory) }
        audit.logger.info("run \(run.id): \(mac) sent its log \(name) (\(entry.bytes) bytes)")
        return JSONBody.response(status: .created, .object(["name": .string(name), "bytes": .number(Double(entry.bytes))]))
    }
}
