import Diagnostics
import Foundation
import RunnerCore
import TaskSequenceDrivers
import TaskSequence
import TaskSequenceCore
#if canImport(Glibc)
import Glibc
#endif

/// `netboot-runner run --bridge URL …` and its `resume` (issue 16 §6, docs/task-sequences.md
/// "Runs through the bridge"): the sequence comes from the appliance, compiled there for this
/// machine with its variables resolved (built-in < collection < device < sequence); the
/// secrets among them stay in memory and are asked for again on resume, never written here.
enum BridgeRun {
    /// `STATE-DIR/bridge.json` (mode 0600): where to resume — URL, pinned fingerprint, the
    /// client token, the run id. No variable value.
    struct Link: Codable {
        var url: String
        var fingerprint: String?
        var token: String
        var run: String
        var sequence: String
        var mac: String
    }

    /// `NAME=value` from /proc/cmdline: PXE and iPXE boots carry `netboot.bridge=` and
    /// `netboot.bridge_fp=` there (docs/bridge.md "Discovery").
    static func kernelArgument(_ name: String, cmdline: String = "/proc/cmdline") -> String? {
        guard let text = try? String(contentsOfFile: cmdline, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix(name + "=") }
            .map { String($0.dropFirst(name.count + 1)) }
    }

    static func linkPath(_ directory: StateDirectory) -> String { directory.path + "/bridge.json" }

    static func readLink(_ directory: StateDirectory) -> Link? {
        FileManager.default.contents(atPath: linkPath(directory)).flatMap { try? JSONDecoder().decode(Link.self, from: $0) }
    }

    static func writeLink(_ link: Link, _ directory: StateDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFileWrite.write(Array(try encoder.encode(link)), to: linkPath(directory))
    }

    /// What a run or resume needs from the appliance's answer.
    struct Compiled {
        var definition: TaskSequenceDefinition
        var environment: VariableEnvironment
        var prompted: [String]
        var runID: String
        var file: String
        var nextEventSequence: Int64
        /// The appliance's view: step pointer → state (`not-run`, `running`, `success`, …).
        var applianceSteps: [RunReconciliation.ApplianceStep]
        /// Where the appliance's HTTP image server serves its disk images (`image_server`:
        /// port and path), when it does.
        var imageServer: (port: Int, path: String)?

        /// `http://HOST:PORT/PATH` on the bridge's host, for a run without `--images`.
        func imagesURL(host: String) -> String? {
            guard let server = imageServer else { return nil }
            return "http://\(host.contains(":") ? "[\(host)]" : host):\(server.port)\(server.path)"
        }
    }

    static func failure(_ answer: BridgeClient.Response, _ doing: String) -> RunnerError {
        let message = (answer.json?["error"] as? String) ?? "HTTP \(answer.status)"
        switch answer.status {
        case 401: return .input("\(doing): the bridge refused the token (unknown, expired, revoked or already used)")
        case 403: return .input("\(doing): the token's role may not do this (a client or enrollment token is needed)")
        default: return .input("\(doing): the bridge answered \(answer.status): \(message)")
        }
    }

    /// A client token for this machine: the token given when it is one, else an enrollment
    /// with it (the client token replaces it). Returns the sequences deployed here.
    static func connect(_ client: BridgeClient, mac: String, identity: MachineIdentity = MachineIdentity(),
                        log: (String) -> Void) throws -> [String: Any] {
        var listing = try client.send("GET", "/v1/sequences")
        if listing.status == 403 {
            let host = ProcessInfo.processInfo.hostName
            // With --smbios the model tells the bridge a PC from a Mac (Unknown Computers or Unknown Mac OS X Systems).
            let fields = ["mac": mac, "hostname": host].merging(identity.enrollmentFields) { own, _ in own }
            let body = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            let enrolled = try client.send("POST", "/v1/enroll", json: body)
            guard enrolled.status == 201, let token = enrolled.json?["token"] as? String else { throw failure(enrolled, "enrolling") }
            client.token = token
            log("enrolled \(mac) with the bridge at \(client.url)")
            listing = try client.send("GET", "/v1/sequences")
        }
        guard listing.status == 200, let json = listing.json else { throw failure(listing, "asking which sequences are deployed") }
        return json
    }

    /// One sequence of those deployed: the only one, `--sequence`, or asked for on a terminal.
    static func choose(_ listing: [String: Any], wanted: String?) throws -> String {
        let names = ((listing["sequences"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        let collections = ((listing["collections"] as? [String]) ?? []).joined(separator: ", ")
        if let wanted {
            guard let match = names.first(where: { $0.caseInsensitiveCompare(wanted) == .orderedSame }) else {
                throw RunnerError.input("'\(wanted)' is not deployed to this machine (collections: \(collections)); deployed: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
            }
            return match
        }
        switch names.count {
        case 0: throw RunnerError.input("no task sequence is deployed to this machine (collections: \(collections))")
        case 1: return names[0]
        default:
            guard Prompter.isInteractive else {
                throw RunnerError.input("several sequences are deployed to this machine: choose one with --sequence (\(names.joined(separator: ", ")))")
            }
            for (index, name) in names.enumerated() { FileHandle.standardError.write(Data("  \(index + 1). \(name)\n".utf8)) }
            guard let text = Prompter.ask("the sequence to run (1-\(names.count))", secret: false), let number = Int(text),
                  (1...names.count).contains(number) else { throw RunnerError.input("no sequence chosen") }
            return names[number - 1]
        }
    }

    /// Compiles the appliance's answer (to `POST /v1/runs` or `GET /v1/runs/{id}/plan`).
    static func compile(_ json: [String: Any], mac: String) throws -> Compiled {
        guard let source = json["source"] as? String, let file = json["file"] as? String,
              let run = json["run"] as? [String: Any], let id = run["id"] as? String else {
            throw RunnerError.input("the bridge's answer has no sequence")
        }
        let label = "bridge:\(file)"
        let layers: [String: VariableLayer] = ["built-in": .builtIn, "collection": .collection, "device": .device]
        var given: [(name: String, value: String, layer: VariableLayer, secret: Bool)] = []
        for variable in (json["variables"] as? [[String: Any]]) ?? [] {
            guard let name = variable["name"] as? String, let value = variable["value"] as? String,
                  let layer = (variable["layer"] as? String).flatMap({ layers[$0] }) else { continue }
            given.append((name, value, layer, (variable["secret"] as? Bool) ?? false))
        }
        // The appliance linted it against its inventory; here the variables it resolved stand
        // for that inventory, so that a property bound to a collection's variable is not unbound.
        let location = SourceLocation(file: label, line: 1, column: 1)
        let declared = given.map {
            VariableDeclaration(name: VariableName($0.name), value: .value(VariableValue($0.value, secret: $0.secret)), location: location)
        }
        let inventory = Inventory(file: label, collections: [
            Inventory.Collection(name: "appliance", variables: declared, location: location),
        ])
        let report = Linter.lint(data: Data(source.utf8), file: label, inventory: inventory)
        guard !report.hasErrors, let definition = report.definition else {
            throw RunnerError.input(report.diagnostics.filter { $0.severity == .error }.map { $0.description }.joined(separator: "\n"))
        }
        var environment = Planner.environment(definition, inventory: Inventory(), machine: Inventory.Machine(mac: mac))
        for variable in given { environment.set(variable.name, variable.value, layer: variable.layer, secret: variable.secret) }
        let steps = ((run["steps"] as? [[String: Any]]) ?? []).compactMap { step -> (Int, String, String)? in
            guard let pointer = step["pointer"] as? Int, let state = step["state"] as? String else { return nil }
            return (pointer, (step["name"] as? String) ?? "", state)
        }
        return Compiled(definition: definition, environment: environment, prompted: (json["prompted"] as? [String]) ?? [],
                        runID: id, file: label, nextEventSequence: Int64((json["next_event_sequence"] as? Int) ?? 1),
                        applianceSteps: steps.map { RunReconciliation.ApplianceStep(pointer: $0.0, name: $0.1, state: $0.2) },
                        imageServer: (json["image_server"] as? [String: Any]).flatMap { server in
                            guard let port = server["port"] as? Int, (1...65535).contains(port), let path = server["path"] as? String,
                                  path.hasPrefix("/"), path.hasSuffix("/"), !path.contains(".."), !path.contains(where: \.isWhitespace) else { return nil }
                            return (port, path)
                        })
    }

    /// After the session: wait for the outbox to empty, then report the outcome once the run
    /// has finished (a reboot leaves the run open). Returns whether everything was delivered.
    static func conclude(_ reporter: BridgeReporter, journal: Journal, wait: Double, log: (String) -> Void) -> Bool {
        let final = journal.phase == .succeeded || journal.phase == .failed
        // Before a reboot only a short wait: what is left goes out on resume.
        let drained = reporter.drain(seconds: final ? wait : min(wait, 10))
        guard drained else {
            log("bridge: \(reporter.pendingCount) event(s) not delivered within \(Int(wait)) s; kept in \(reporter.outboxPath) for resume")
            return false
        }
        guard final else { return true }
        let outcome = journal.phase == .succeeded ? "succeeded" : "failed"
        let at = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        guard let body = try? JSONSerialization.data(withJSONObject: ["outcome": outcome, "at_ms": at], options: [.sortedKeys]) else { return false }
        let deadline = Date().addingTimeInterval(wait)
        var delay = 1.0
        while true {
            do {
                let answer = try reporter.client.send("POST", "/v1/runs/\(reporter.runID)/finish", json: body)
                if (200..<300).contains(answer.status) {
                    log("bridge: run \(reporter.runID) finished: \(outcome)")
                    return true
                }
                log("bridge: finish answered \(answer.status)")
                if answer.status < 500, answer.status != 429, answer.status != 408 { return false }
            } catch {
                log("bridge: finish not sent (\(error))")
            }
            guard Date().addingTimeInterval(delay) < deadline else { return false }
            Thread.sleep(forTimeInterval: delay)
            delay = min(30, delay * 2)
        }
    }

    /// Sends the run's two logs to the appliance once it has finished (succeeded or failed):
    /// `PUT /v1/runs/{id}/logs/NAME` with the current file's last `limit` bytes (lines are
    /// redacted before they reach the file). One attempt each; a failure is logged, the run's
    /// outcome stands. `netboot ts runs show` lists them on the appliance.
    static func sendLogs(_ client: BridgeClient, runID: String, journal: Journal, logs: RunLogs, limit: UInt64 = 1 << 20) {
        guard journal.phase == .succeeded || journal.phase == .failed else { return }
        for name in ["netboot_tswizard.log", "netboot_ts_executor.log"] {
            guard let handle = FileHandle(forReadingAtPath: "\(logs.directory)/\(name)") else { continue }
            let size = handle.seekToEndOfFile()
            handle.seek(toFileOffset: size > limit ? size - limit : 0)
            let data = handle.readDataToEndOfFile()
            try? handle.close()
            do {
                let answer = try client.stream("PUT", "/v1/runs/\(runID)/logs/\(name)", answerTimeout: 30) { send in
                    try data.withUnsafeBytes { try send($0) }
                }
                logs.wizard(answer.status == 201 ? "bridge: \(name) sent (\(data.count) bytes)" : "bridge: \(name) not stored: the appliance answered \(answer.status)")
            } catch {
                logs.wizard("bridge: \(name) not sent (\(error))")
            }
        }
    }

    /// Retries `body` while the bridge is unreachable, until `wait` seconds passed.
    static func retrying<T>(wait: Double, log: (String) -> Void, _ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(wait)
        var delay = 1.0
        while true {
            do {
                return try body()
            } catch let failure as BridgeClient.Failure {
                guard case .unreachable = failure, Date().addingTimeInterval(delay) < deadline else {
                    throw RunnerError.io(failure.description)
                }
                log("\(failure); retrying in \(Int(delay)) s")
                Thread.sleep(forTimeInterval: delay)
                delay = min(15, delay * 2)
            }
        }
    }
}

/// The state directory's small files written whole (temporary file, fsync, rename).
enum AtomicFileWrite {
    static func write(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path, mode: 0o600) } catch { throw RunnerError.io("cannot write \(path): \(error)") }
    }
}
