import Foundation
import RunnerCore
import TaskSequenceCore
import TaskSequenceDrivers
#if canImport(Glibc)
import Glibc
#endif

/// The runner's shell around the executor: performs its actions (persist the state file,
/// report to the outbox and the log, run a step's driver on a thread, cancel it, reboot,
/// finish) and feeds back driver results, `tsvar` requests and deadlines, on one loop.
final class RunSession {
    struct Options {
        var imagesDirectory: String?
        var packagesDirectory: String?
        var targetRoot: String = "/"
        var rebootCommand: String
        var verifyAfterWrite = false
        var dryRun = false
        /// In a run through the bridge: Capture Image sends its image to the appliance.
        var imageUploader: (any ImageUploader)?
    }

    private(set) var executor: Executor
    let directory: StateDirectory
    let logs: RunLogs
    var inputs: RunInputs
    let options: Options
    private let reporter: any RunReporter
    private let queue = EventQueue()
    private var server: VariableSocketServer?
    private var cancellations: [Int: Cancellation] = [:]
    private let variableUtility: String?

    init(executor: Executor, directory: StateDirectory, logs: RunLogs, inputs: RunInputs, options: Options, reporter: any RunReporter) {
        self.executor = executor
        self.directory = directory
        self.logs = logs
        self.inputs = inputs
        self.options = options
        self.reporter = reporter
        variableUtility = Self.siblingExecutable("tsvar")
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Runs until the sequence finishes (exit 0 or 1) or the machine reboots (exit 0).
    func run(first: Executor.Event) throws -> Int32 {
        if !options.dryRun {
            server = try VariableSocketServer(path: directory.socketPath, queue: queue, log: { [logs] in logs.executor($0) })
        }
        defer { server?.close() }
        updateSecrets()
        var actions = executor.handle(first)
        while true {
            for action in actions {
                if let exit = try perform(action) { return exit }
            }
            guard let event = queue.next(until: executor.nextDeadline) else {
                actions = executor.handle(.deadlineReached(now: Self.now()))
                continue
            }
            switch event {
            case .stepDone(let pointer, let attempt, let result):
                cancellations[pointer] = nil
                switch result {
                case .exited(let code):
                    logs.executor("step \(pointer) attempt \(attempt) exited with \(code)")
                    actions = executor.handle(.stepFinished(pointer: pointer, attempt: attempt, exitCode: code, now: Self.now()))
                case .failed(let message):
                    logs.executor("step \(pointer) attempt \(attempt) failed: \(message)")
                    actions = executor.handle(.stepFailed(pointer: pointer, attempt: attempt, message: logs.redact(message), now: Self.now()))
                }
            case .variableRequest(let request, let reply):
                let response = VariableRequests.answer(request, executor: &executor)
                switch (request, response) {
                case (.set(let assignments), .done):
                    updateSecrets()
                    logs.executor("tsvar --set \(assignments.map(\.name).joined(separator: " "))")
                    try persist()
                case (.get(let names), _):
                    logs.executor("tsvar --get \(names.joined(separator: " "))")
                case (_, .refused(_, let message)):
                    logs.executor("tsvar refused: \(message)")
                default:
                    break
                }
                reply(response)
                actions = []
            case .progress(let pointer, let bytes, let rate, let eta):
                reporter.progress(pointer: pointer, bytes: bytes, rate: rate, eta: eta)
                actions = []
            }
        }
    }

    private func perform(_ action: Executor.Action) throws -> Int32? {
        switch action {
        case .persist:
            try persist()
        case .report(let report):
            logs.executor(describe(report))
            if !options.dryRun {
                var detail: String?
                if case .stepFinished(let pointer, let status, _, _) = report, status != .succeeded {
                    detail = executor.journal.steps.first { $0.pointer == pointer }?.message.map(logs.redact)
                }
                try reporter.report(report, detail: detail, sequence: reporter.lastSequence + 1, at: Self.now())
            }
            if case .stepFinished(let pointer, .succeeded, _, _) = report, executor.program.instructions[pointer].step?.type == .applyImage {
                copyLogsIntoTarget()
            }
        case .runStep(let pointer, let attempt, let deadline):
            start(pointer: pointer, attempt: attempt, deadline: deadline)
        case .cancelStep(let pointer, _):
            cancellations[pointer]?.cancel()
            logs.executor("step \(pointer): timeout, cancelling")
        case .reboot:
            return try reboot()
        case .finish(let outcome):
            switch outcome {
            case .success:
                logs.executor("task sequence finished: success")
                logs.wizard("task sequence '\(executor.program.name)' finished: success")
                return 0
            case .failure(let at):
                logs.executor("task sequence failed at step \(at)")
                logs.wizard("task sequence '\(executor.program.name)' failed at step \(at)")
                return 1
            }
        }
        return nil
    }

    private func persist() throws {
        guard !options.dryRun else { return }
        do {
            try directory.write(RunState(journal: executor.journal, inputs: inputs))
        } catch {
            throw RunnerError.io("cannot write the state file: \(error)")
        }
    }

    private func reboot() throws -> Int32? {
        if options.dryRun {
            logs.executor("would reboot now (dry run); going on")
            let secrets = liveSecrets()
            executor = try Executor(restoring: executor.journal, program: executor.program, variables: executor.variables,
                                    secrets: secrets, retryInterruptedStep: false)
            for action in executor.handle(.resumed(now: Self.now())) {
                if let exit = try perform(action) { return exit }
            }
            return nil
        }
        logs.executor("rebooting: \(options.rebootCommand)")
        logs.wizard("rebooting; run 'netboot-runner resume' when the machine is back")
        server?.close()
        server = nil
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", options.rebootCommand]
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            throw RunnerError.io("cannot run the reboot command '\(options.rebootCommand)': \(error)")
        }
        guard process.terminationStatus == 0 else {
            throw RunnerError.io("the reboot command '\(options.rebootCommand)' exited with \(process.terminationStatus); restart the machine, then run 'netboot-runner resume'")
        }
        return 0
    }

    private func start(pointer: Int, attempt: Int, deadline: Double?) {
        let instruction = executor.program.instructions[pointer]
        let name = instruction.options.name
        logs.executor("step \(pointer) '\(name)' attempt \(attempt) starting\(deadline.map { String(format: ", timeout at +%.0f s", $0 - Self.now()) } ?? "")")
        let queue = self.queue
        guard let step = instruction.step, let driver = Drivers.linux(step.type) else {
            queue.post(.stepDone(pointer: pointer, attempt: attempt, result: .failed("no Linux driver for \(instruction.step?.type.rawValue ?? "this item")")))
            return
        }
        let resolved: ResolvedStep
        switch resolve(step, pointer: pointer, attempt: attempt) {
        case .success(let value): resolved = value
        case .failure(let failure):
            queue.post(.stepDone(pointer: pointer, attempt: attempt, result: .failed(failure.description)))
            return
        }
        let cancellation = Cancellation()
        cancellations[pointer] = cancellation
        let logs = self.logs
        let context = StepContext(imagesDirectory: options.imagesDirectory, packagesDirectory: options.packagesDirectory,
                                  targetRoot: options.targetRoot, variableUtility: variableUtility,
                                  variableSocket: options.dryRun ? nil : directory.socketPath,
                                  verifyAfterWrite: options.verifyAfterWrite, dryRun: options.dryRun,
                                  log: { logs.executor("step \(pointer): \($0)") }, cancellation: cancellation,
                                  progress: { queue.post(.progress(pointer: pointer, bytes: $0, rate: $1, eta: $2)) },
                                  imageUploader: options.imageUploader)
        Thread {
            let result = driver.run(resolved, context: context)
            queue.post(.stepDone(pointer: pointer, attempt: attempt, result: result))
        }.start()
    }

    struct ResolveFailure: Error, CustomStringConvertible { var description: String }

    /// The step's properties with `%VAR%` expanded. A reference left without a value fails
    /// the step before its driver runs when the property is required, and drops an optional
    /// property (its default applies).
    private func resolve(_ step: Step, pointer: Int, attempt: Int) -> Result<ResolvedStep, ResolveFailure> {
        var properties: [String: String] = [:]
        var lists: [String: [String]] = [:]
        var secretKeys: Set<String> = []
        var missing: Set<String> = []
        for spec in step.type.spec.properties {
            guard let value = step.effectiveProperty(spec) else { continue }
            var unresolved: [VariableName] = []
            switch value {
            case .text(let text):
                let out = executor.expanded(text)
                unresolved = VariableReferences.names(in: out)
                properties[spec.key] = out
            case .flag(let flag):
                properties[spec.key] = flag ? "true" : "false"
            case .list(let list):
                let out = list.map { executor.expanded($0) }
                unresolved = out.flatMap { VariableReferences.names(in: $0) }
                lists[spec.key] = out
            }
            if spec.secret { secretKeys.insert(spec.key) }
            guard !unresolved.isEmpty else { continue }
            if spec.required {
                missing.formUnion(unresolved.map(\.spelling))
            } else {
                properties[spec.key] = nil
                lists[spec.key] = nil
            }
        }
        if !missing.isEmpty {
            return .failure(ResolveFailure(description: "no value for \(missing.sorted().joined(separator: ", "))"))
        }
        return .success(ResolvedStep(pointer: pointer, attempt: attempt, name: step.options.name, type: step.type,
                                     properties: properties, lists: lists, secretKeys: secretKeys))
    }

    /// After an image is applied, the logs so far go into the target's `/var/log/netboot/`
    /// (the seed moves `pmm_tswizard.log` to the deployed partition, L5227-5233), when a
    /// target root other than `/` is given. The logs hold no secret (redacted as written).
    private func copyLogsIntoTarget() {
        guard options.targetRoot != "/", !options.dryRun else { return }
        let folder = options.targetRoot + "/var/log/netboot"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for name in ["netboot_tswizard.log", "netboot_ts_executor.log"] {
                let target = folder + "/" + name
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: logs.directory + "/" + name, toPath: target)
            }
            logs.executor("logs copied into \(folder)")
        } catch {
            logs.executor("could not copy the logs into \(folder): \(error.localizedDescription)")
        }
    }

    private func liveSecrets() -> [VariableName: String] {
        var out: [VariableName: String] = [:]
        for name in executor.variables.names {
            if case .value(let value, _) = executor.variables.lookup(name), value.isSecret { out[name] = value.reveal() }
        }
        return out
    }

    private func updateSecrets() {
        logs.setSecrets(Array(liveSecrets().values))
    }

    private func describe(_ report: RunReport) -> String {
        func name(_ pointer: Int) -> String {
            pointer >= 0 && pointer < executor.program.count ? "'\(executor.program.instructions[pointer].options.name)'" : "?"
        }
        switch report {
        case .started(let sequence, let count): return "task sequence '\(sequence)' started (\(count) instructions)"
        case .resumed(let pointer): return "task sequence resumed at step \(pointer) \(name(pointer))"
        case .stepStarted(let pointer, let attempt): return "step \(pointer) \(name(pointer)) started (attempt \(attempt))"
        case .stepSkipped(let pointer, let status): return "step \(pointer) \(name(pointer)) \(status.rawValue)"
        case .stepFinished(let pointer, let status, let code, let attempts):
            return "step \(pointer) \(name(pointer)) \(status.rawValue)\(code.map { ", exit code \($0)" } ?? "") after \(attempts) attempt(s)"
        case .retryScheduled(let pointer, let attempt, let at):
            return "step \(pointer) \(name(pointer)) will retry (attempt \(attempt)) in \(Int((at - Self.now()).rounded())) s"
        case .rebooting(let resumeAt): return "rebooting; the sequence continues at step \(resumeAt)"
        case .finished(let outcome): return "finished: \(outcome)"
        }
    }

    /// `tsvar` beside this executable.
    static func siblingExecutable(_ name: String) -> String? {
        guard let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let path = (own as NSString).deletingLastPathComponent + "/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
