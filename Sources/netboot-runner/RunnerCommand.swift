import ArgumentParser
import Foundation
import RunnerCore
import TaskSequence
import TaskSequenceDrivers
#if canImport(Glibc)
import Glibc
#endif

/// `netboot-runner`: runs a task sequence on the target (issue 16 §2). Exit codes: 0 success
/// (or the machine is rebooting), 1 the sequence failed, 2 bad input or missing variables,
/// 3 no or damaged state / resume refused, 4 I/O error.
@main
struct RunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netboot-runner",
        abstract: "Runs a netboot task sequence on this machine, across reboots.",
        subcommands: [Run.self, Resume.self, Status.self])

    static func exit(_ error: any Error) -> Never {
        let runnerError = error as? RunnerError
        FileHandle.standardError.write(Data("netboot-runner: \(runnerError?.description ?? "\(error)")\n".utf8))
        Glibc.exit(runnerError?.exitCode ?? 4)
    }
}

struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Where the journal, outbox, tsvar socket and logs live.")
    var stateDirectory: String = StateDirectory.defaultPath

    @Option(name: .customLong("log-dir"), help: "Where the logs go (default: STATE-DIR/logs).")
    var logDirectory: String?

    @Flag(name: .customLong("verbose"), help: "Also print the log lines on standard error.")
    var verbose = false
}

/// Reads `--var`/`--var-file` values; a secret is refused on the command line (visible in `ps`).
struct VariableArguments {
    static func read(vars: [String], file: String?, isSecret: (String) -> Bool) throws -> [VariableUtility.Assignment] {
        var out: [VariableUtility.Assignment] = []
        for text in vars {
            let assignment: VariableUtility.Assignment
            do { assignment = try VariableInputs.assignment(text) } catch { throw RunnerError.input("--var \(error.description)") }
            if isSecret(assignment.name) {
                throw RunnerError.input("\(assignment.name) is secret: give it with --var-file or on the terminal, not on the command line (visible in ps)")
            }
            out.append(assignment)
        }
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw RunnerError.input("cannot read \(file)") }
            do { out += try VariableInputs.file(text, path: file) } catch { throw RunnerError.input(error.description) }
        }
        return out
    }
}

extension RunnerCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a run: of a task sequence file (--file), or of one deployed to this machine through the appliance's bridge (--bridge).")

        @Option(name: .customLong("file"), help: "The task sequence (YAML).") var file: String?
        @Option(name: .customLong("bridge"), help: "The appliance's bridge (https://HOST:8761): run a sequence deployed to this machine (default without --file: netboot.bridge= of the kernel command line).") var bridgeOption: String?
        @Option(name: .customLong("token"), help: "A client token, or an enrollment token (this machine enrolls with it; default: netboot.token= of the kernel command line).") var tokenOption: String?
        @Option(name: .customLong("kernel-cmdline"), help: .hidden) var kernelCmdline: String = "/proc/cmdline"
        @Option(name: .customLong("fingerprint"), help: "The bridge certificate's SHA-256 fingerprint (pinned; default: netboot.bridge_fp= of the kernel command line).") var fingerprint: String?
        @Option(name: .customLong("sequence"), help: "Which deployed sequence to run when several are.") var sequence: String?
        @Flag(name: .customLong("smbios"), help: "Enroll with the SMBIOS model and serial (/sys/class/dmi/id), so the bridge tells a PC from a Mac.")
        var smbios = false
        @Option(name: .customLong("bridge-wait"), help: "Seconds to wait for an unreachable bridge at start and to deliver queued events at the end.") var bridgeWait: Double = 600
        @Option(name: .customLong("inventory"), help: "Inventory for collection and device variables.") var inventory: String?
        @Option(name: .customLong("mac"), help: "This machine's MAC address (default: the first interface's).") var mac: String?
        @Option(name: .customLong("var"), help: "NAME=VALUE (repeatable; not for secrets).") var vars: [String] = []
        @Option(name: .customLong("var-file"), help: "A file of NAME=VALUE lines (secrets go here).") var varFile: String?
        @Option(name: .customLong("images"), help: "Directory of disk images, or the appliance's image server (http://HOST[:PORT]/); with --bridge, default: the image server the bridge names.") var images: String?
        @Option(name: .customLong("packages"), help: "Directory of packages (one folder each).") var packages: String?
        @Option(name: .customLong("target-root"), help: "The target system's root for hostname and logs.") var targetRoot: String = "/"
        @Option(name: .customLong("reboot-command"), help: "Run instead of rebooting (default: systemctl reboot).") var rebootCommand: String = "systemctl reboot"
        @Flag(name: .customLong("verify"), help: "Read an applied image back and compare its SHA-256.") var verify = false
        @Flag(name: .customLong("dry-run"), help: "Show what would run; change nothing.") var dryRun = false
        @OptionGroup var state: StateOptions

        func run() throws {
            do {
                try start()
            } catch {
                RunnerCommand.exit(error)
            }
        }

        /// `--bridge`, else (without `--file`) `netboot.bridge=` of the kernel command line: the
        /// iPXE script the appliance renders puts it there (docs/bridge.md "Discovery").
        var bridge: String? {
            bridgeOption ?? (file == nil ? BridgeRun.kernelArgument("netboot.bridge", cmdline: kernelCmdline) : nil)
        }

        /// `--token`, else with a bridge `netboot.token=` of the kernel command line: the one-time
        /// enrollment token the appliance minted for this MAC's boot (docs/pxe.md).
        var token: String? {
            tokenOption ?? (bridge == nil ? nil : BridgeRun.kernelArgument("netboot.token", cmdline: kernelCmdline))
        }

        func validate() throws {
            guard (file == nil) != (bridge == nil) else {
                throw ValidationError(file == nil ? "give either --file or --bridge (no netboot.bridge= on the kernel command line)"
                                                  : "give either --file or --bridge")
            }
            if bridge != nil {
                guard token != nil else {
                    throw ValidationError("--bridge needs --token (a client or enrollment token; no netboot.token= on the kernel command line)")
                }
                guard inventory == nil else { throw ValidationError("--inventory is for --file: the appliance applies its own") }
                guard !dryRun else { throw ValidationError("--dry-run is for --file (netboot ts plan shows a plan on the appliance)") }
            } else if tokenOption != nil || fingerprint != nil || sequence != nil {
                throw ValidationError("--token, --fingerprint and --sequence go with --bridge")
            }
        }

        private func start() throws {
            let definition: TaskSequenceDefinition
            let environment: VariableEnvironment
            let prompted: [String]
            let sequenceFile: String
            let machineMAC: String
            var bridged: (client: BridgeClient, compiled: BridgeRun.Compiled)?
            if let bridge {
                let address = mac ?? SequenceSource.firstMAC() ?? ""
                guard let normalized = MACText.normalized(address) else { throw RunnerError.input("'\(address)' is not a MAC address (give --mac)") }
                machineMAC = normalized
                let early = StateDirectory(path: Self.absolute(state.stateDirectory))
                if early.hasState, let previous = try? early.read(), ![.succeeded, .failed].contains(previous.journal.phase) {
                    throw RunnerError.state("a run of '\(previous.journal.sequenceName)' is in progress in \(early.path) (phase \(previous.journal.phase.rawValue)): use 'netboot-runner resume', or remove the directory to start over")
                }
                let client: BridgeClient
                let pin = fingerprint ?? BridgeRun.kernelArgument("netboot.bridge_fp", cmdline: kernelCmdline)
                do { client = try BridgeClient(url: bridge, token: token ?? "", fingerprint: pin) } catch { throw RunnerError.input("\(error)") }
                let say: (String) -> Void = { FileHandle.standardError.write(Data("netboot-runner: \($0)\n".utf8)) }
                let listing = try BridgeRun.retrying(wait: bridgeWait, log: say) {
                    try BridgeRun.connect(client, mac: normalized, identity: smbios ? MachineIdentity.read() : MachineIdentity(), log: say)
                }
                let name = try BridgeRun.choose(listing, wanted: sequence)
                let body = try JSONSerialization.data(withJSONObject: ["sequence": name], options: [.sortedKeys])
                let started = try BridgeRun.retrying(wait: bridgeWait, log: say) { try client.send("POST", "/v1/runs", json: body) }
                guard started.status == 201, let json = started.json else { throw BridgeRun.failure(started, "starting a run of '\(name)'") }
                let compiled = try BridgeRun.compile(json, mac: normalized)
                definition = compiled.definition
                environment = compiled.environment
                prompted = compiled.prompted
                sequenceFile = compiled.file
                bridged = (client, compiled)
            } else {
                sequenceFile = Self.absolute(file ?? "")
                let source = try SequenceSource(file: sequenceFile, inventoryFile: inventory.map(Self.absolute), mac: mac)
                definition = source.definition
                environment = Planner.environment(source.definition, inventory: source.inventory, machine: source.machine)
                prompted = Planner.plan(source.definition, inventory: source.inventory, machine: source.machine).prompted
                machineMAC = source.machine.mac
            }
            let program = Program(definition)
            let isSecret: (String) -> Bool = { name in
                environment.isSecret(VariableName(name)) || StepCatalog.secretVariables.contains(VariableName(name))
            }
            let given = try VariableArguments.read(vars: vars, file: varFile.map(Self.absolute), isSecret: isSecret)
            var executor = Executor(program: program, variables: environment)
            for assignment in given {
                do { try executor.setInput(VariableName(assignment.name), assignment.value, secret: isSecret(assignment.name)) }
                catch { throw RunnerError.input("\(assignment.name) cannot be set: \(error)") }
            }
            // Variables declared without a value: asked for now, or listed — before any disk is touched.
            let givenNames = Set(given.map { VariableName($0.name) })
            let missing = prompted.map(VariableName.init).filter { !givenNames.contains($0) }
            if !missing.isEmpty {
                guard Prompter.isInteractive else {
                    throw RunnerError.input("variables without a value (give them with --var or --var-file): \(missing.map(\.spelling).joined(separator: ", "))")
                }
                for name in missing {
                    guard let value = Prompter.ask(name.spelling, secret: isSecret(name.spelling)), !value.isEmpty else {
                        throw RunnerError.input("no value given for \(name.spelling)")
                    }
                    try? executor.setInput(name, value, secret: isSecret(name.spelling))
                }
            }

            let directory = StateDirectory(path: dryRun ? NSTemporaryDirectory() + "netboot-runner-dry-\(getpid())" : Self.absolute(state.stateDirectory))
            try directory.create()
            defer { if dryRun { try? FileManager.default.removeItem(atPath: directory.path) } }
            let lock = try directory.lock()
            defer { close(lock) }
            if !dryRun, directory.hasState, let previous = try? directory.read(),
               ![.succeeded, .failed].contains(previous.journal.phase) {
                throw RunnerError.state("a run of '\(previous.journal.sequenceName)' is in progress in \(directory.path) (phase \(previous.journal.phase.rawValue)): use 'netboot-runner resume', or remove the directory to start over")
            }
            if !dryRun {
                // A new run: the previous run's state and outbox are finished and replaced.
                try? FileManager.default.removeItem(atPath: directory.statePath)
                try? FileManager.default.removeItem(atPath: directory.outboxPath)
                try? FileManager.default.removeItem(atPath: directory.path + "/outbox.sent")
                try? FileManager.default.removeItem(atPath: BridgeRun.linkPath(directory))
            }
            if let bridged {
                try BridgeRun.writeLink(BridgeRun.Link(url: bridged.client.url, fingerprint: bridged.client.fingerprint, token: bridged.client.token,
                                                       run: bridged.compiled.runID, sequence: definition.name, mac: machineMAC), directory)
            }
            let logs = try RunLogs(directory: state.logDirectory.map(Self.absolute) ?? directory.path + "/logs", echo: state.verbose || dryRun)
            // Through the bridge without --images: the appliance's image server, on the bridge's host.
            let imagesSource = images.map { $0.hasPrefix("http://") ? $0 : Self.absolute($0) }
                ?? bridged.flatMap { $0.compiled.imagesURL(host: $0.client.host) }
            if images == nil, let imagesSource { logs.wizard("images from the appliance's image server \(imagesSource)") }
            let inputs = RunInputs(sequenceFile: sequenceFile, inventoryFile: inventory.map(Self.absolute), mac: machineMAC,
                                   variableFile: varFile.map(Self.absolute), imagesDirectory: imagesSource,
                                   packagesDirectory: packages.map(Self.absolute), rebootCommand: rebootCommand, startedAt: RunSession.now())
            logs.wizard("task sequence '\(definition.name)' from \(sequenceFile) for \(machineMAC)\(dryRun ? " (dry run)" : "")\(bridged.map { ", run \($0.compiled.runID)" } ?? "")")
            if !given.isEmpty { logs.wizard("variables given: \(given.map(\.name).joined(separator: ", "))") }
            if !missing.isEmpty { logs.wizard("variables asked for: \(missing.map(\.spelling).joined(separator: ", "))") }
            let options = RunSession.Options(imagesDirectory: inputs.imagesDirectory, packagesDirectory: inputs.packagesDirectory,
                                             targetRoot: Self.absolute(targetRoot), rebootCommand: rebootCommand,
                                             verifyAfterWrite: verify, dryRun: dryRun,
                                             imageUploader: bridged.map { BridgeImageUploader(client: $0.client, runID: $0.compiled.runID) })
            var bridgeReporter: BridgeReporter?
            if let bridged {
                bridgeReporter = BridgeReporter(client: bridged.client, runID: bridged.compiled.runID, directory: directory, program: program,
                                                firstSequence: bridged.compiled.nextEventSequence, log: { logs.executor($0) })
                bridgeReporter?.start()
            }
            let session = RunSession(executor: executor, directory: directory, logs: logs, inputs: inputs, options: options,
                                     reporter: bridgeReporter ?? OutboxFile(path: directory.outboxPath))
            let code = try session.run(first: .started(now: RunSession.now()))
            if let bridgeReporter {
                _ = BridgeRun.conclude(bridgeReporter, journal: session.executor.journal, wait: bridgeWait, log: { logs.executor($0) })
                BridgeRun.sendLogs(bridgeReporter.client, runID: bridgeReporter.runID, journal: session.executor.journal, logs: logs)
            }
            Glibc.exit(code)
        }

        static func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Continue the run in the state directory (after a reboot).")

        @Flag(name: .customLong("retry-step"), help: "Run again a destructive step that was interrupted.") var retryStep = false
        @Option(name: .customLong("var-file"), help: "Secrets the journal sealed (default: the run's --var-file).") var varFile: String?
        @Option(name: .customLong("target-root"), help: "The target system's root.") var targetRoot: String = "/"
        @Flag(name: .customLong("verify"), help: "Read an applied image back and compare its SHA-256.") var verify = false
        @Option(name: .customLong("bridge-wait"), help: "Seconds to wait for an unreachable bridge (a bridge run).") var bridgeWait: Double = 600
        @OptionGroup var state: StateOptions

        func run() throws {
            do {
                try resume()
            } catch {
                RunnerCommand.exit(error)
            }
        }

        private func resume() throws {
            let directory = StateDirectory(path: Run.absolute(state.stateDirectory))
            let lock = try directory.lock()
            defer { close(lock) }
            let saved = try directory.read()
            if saved.journal.phase == .succeeded || saved.journal.phase == .failed {
                throw RunnerError.state("the run of '\(saved.journal.sequenceName)' has already finished (\(saved.journal.phase.rawValue))")
            }
            let inputs = saved.inputs
            let logs = try RunLogs(directory: state.logDirectory.map(Run.absolute) ?? directory.path + "/logs", echo: state.verbose)
            let program: Program
            let environment: VariableEnvironment
            var bridgeReporter: BridgeReporter?
            var uploader: BridgeImageUploader?
            if let link = BridgeRun.readLink(directory) {
                // The sequence and its secrets come from the appliance again; the outbox goes
                // out first, then the appliance's view of the run must match the journal's.
                let client: BridgeClient
                do { client = try BridgeClient(url: link.url, token: link.token, fingerprint: link.fingerprint) } catch { throw RunnerError.input("\(error)") }
                let say: @Sendable (String) -> Void = { logs.executor($0) }
                let fetch = { () throws -> BridgeRun.Compiled in
                    let answer = try BridgeRun.retrying(wait: bridgeWait, log: say) { try client.send("GET", "/v1/runs/\(link.run)/plan") }
                    guard answer.status == 200, let json = answer.json else { throw BridgeRun.failure(answer, "fetching run \(link.run)") }
                    return try BridgeRun.compile(json, mac: link.mac)
                }
                let first = try fetch()
                program = Program(first.definition)
                let reporter = BridgeReporter(client: client, runID: link.run, directory: directory, program: program,
                                              firstSequence: first.nextEventSequence, log: say)
                reporter.start()
                guard reporter.drain(seconds: bridgeWait) else {
                    throw RunnerError.state("resume refused: \(reporter.pendingCount) queued event(s) of run \(link.run) could not be delivered to \(link.url) within \(Int(bridgeWait)) s; nothing was run")
                }
                let compiled = try fetch()
                let disagreements = RunReconciliation.disagreements(journal: saved.journal, appliance: compiled.applianceSteps)
                guard disagreements.isEmpty else {
                    throw RunnerError.state("resume refused: the appliance and the journal disagree on which steps ran (\(disagreements.joined(separator: "; "))); nothing was run")
                }
                environment = compiled.environment
                bridgeReporter = reporter
                uploader = BridgeImageUploader(client: client, runID: link.run)
                logs.wizard("run \(link.run): the appliance and the journal agree; resuming")
            } else {
                let source = try SequenceSource(file: inputs.sequenceFile, inventoryFile: inputs.inventoryFile, mac: inputs.mac)
                program = Program(source.definition)
                environment = Planner.environment(source.definition, inventory: source.inventory, machine: source.machine)
            }
            let sealed = Executor.sealedInputs(of: saved.journal)
            var secrets: [VariableName: String] = [:]
            if !sealed.isEmpty, let file = varFile.map(Run.absolute) ?? inputs.variableFile {
                for assignment in try VariableArguments.read(vars: [], file: file, isSecret: { _ in false }) {
                    secrets[VariableName(assignment.name)] = assignment.value
                }
            }
            for name in sealed where secrets[name] == nil && Prompter.isInteractive {
                if let value = Prompter.ask(name.spelling, secret: true), !value.isEmpty { secrets[name] = value }
            }
            let executor: Executor
            do {
                executor = try Executor(restoring: saved.journal, program: program, variables: environment, secrets: secrets,
                                        retryInterruptedStep: retryStep)
            } catch {
                throw RunnerError.state("resume refused: \(error.description)")
            }
            logs.wizard("resuming '\(saved.journal.sequenceName)' at instruction \(saved.journal.pointer) (phase \(saved.journal.phase.rawValue))")
            let options = RunSession.Options(imagesDirectory: inputs.imagesDirectory, packagesDirectory: inputs.packagesDirectory,
                                             targetRoot: Run.absolute(targetRoot), rebootCommand: inputs.rebootCommand ?? "systemctl reboot",
                                             verifyAfterWrite: verify, dryRun: false, imageUploader: uploader)
            let session = RunSession(executor: executor, directory: directory, logs: logs, inputs: inputs, options: options,
                                     reporter: bridgeReporter ?? OutboxFile(path: directory.outboxPath))
            let code = try session.run(first: .resumed(now: RunSession.now()))
            if let bridgeReporter {
                _ = BridgeRun.conclude(bridgeReporter, journal: session.executor.journal, wait: bridgeWait, log: { logs.executor($0) })
                BridgeRun.sendLogs(bridgeReporter.client, runID: bridgeReporter.runID, journal: session.executor.journal, logs: logs)
            }
            Glibc.exit(code)
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the run's steps: status, exit codes, attempts, times.")

        @Flag(name: .customLong("json")) var json = false
        @OptionGroup var state: StateOptions

        func run() throws {
            do {
                let saved = try StateDirectory(path: Run.absolute(state.stateDirectory)).read()
                print(json ? try StatusReport.json(saved) : StatusReport.text(saved), terminator: "")
            } catch {
                RunnerCommand.exit(error)
            }
        }
    }
}
