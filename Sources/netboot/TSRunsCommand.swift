import ArgumentParser
import BridgeCore
import Foundation
import NetbootStore
import ProxyBridge

/// `netboot ts runs [--json]` and `netboot ts runs show ID [--json]`: the task-sequence runs
/// machines started through the bridge (issue 16 §6), read from the bridge's records as
/// `netboot devices` reads them (`state-dir/bridge.sqlite` read-only, beside a running `netboot
/// serve`, or the PostgreSQL store `store:` names). Never a variable value: the store holds none.
struct TSRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Show the task-sequence runs machines started through the bridge.",
        discussion: HelpText.discussion(examples: [("netboot ts runs", "every run, newest first"),
                                                   ("netboot ts runs show 3f2a9c1e-… --json", "one run, every step and its times")],
                                        exitCodes: [(0, "the runs were printed"), (1, "the bridge's records cannot be read")]),
        subcommands: [TSRunsListCommand.self, TSRunsShowCommand.self],
        defaultSubcommand: TSRunsListCommand.self
    )

    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    static func views(_ store: any BridgeRecords, limit: Int) throws -> [RunView] {
        guard try store.hasRunTables() else { return [] }
        let now = nowMilliseconds()
        return try store.runs(limit: limit).map { RunView.fold($0, events: try store.runEvents(id: $0.id), nowMilliseconds: now) }
    }

    /// `step 2 of 5 (Apply image)`, or `5 of 5 steps done` when none runs.
    static func position(_ view: RunView) -> String {
        if let number = view.currentStepNumber {
            return "step \(number) of \(view.stepsTotal)" + (view.currentStepName.map { " (\($0))" } ?? "")
        }
        return "\(view.stepsDone) of \(view.stepsTotal) steps done"
    }

    /// `12.0 MiB of 64.0 MiB, 30.1 MiB/s, ETA 2 s`.
    static func progress(_ progress: RunView.Progress?) -> String {
        guard let progress else { return "-" }
        var text = mebibytes(progress.bytes)
        if let total = progress.total { text += " of \(mebibytes(total))" }
        if let rate = progress.rate { text += ", \(mebibytes(rate))/s" }
        if let eta = progress.eta { text += ", ETA \(eta) s" }
        return text
    }

    static func mebibytes(_ bytes: Int64) -> String {
        let tenths = Int64((Double(bytes) / 1_048_576 * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) MiB"
    }

    static func seconds(_ milliseconds: Int64) -> String {
        let tenths = max(0, milliseconds) / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }

    static func time(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "-" }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }
}

struct TSRunsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Runs, newest first: state, step x of y, progress, elapsed.",
        discussion: HelpText.discussion(examples: [("netboot ts runs list --json --state-dir /var/lib/netboot", "every run as JSON")],
                                        exitCodes: [(0, "the runs were printed (none yet: an empty list)"),
                                                    (1, "the bridge's records cannot be read")]))

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "The most runs to show.") var limit = 100
    @OptionGroup var state: BridgeStateOption

    func validate() throws {
        guard (1...10000).contains(limit) else { throw ValidationError("--limit: expected 1 to 10000") }
    }

    func run() throws {
        let views = try state.records(write: false).map { try TSRunsCommand.views($0, limit: limit) } ?? []
        if json {
            print(try RunJSON.pretty(["runs": views.map { view -> RunView in
                var summary = view
                summary.steps = []
                return summary
            }]))
        } else {
            print(CLITable.render(["RUN", "MAC", "SEQUENCE", "STATE", "POSITION", "PROGRESS", "ELAPSED"], views.map {
                [$0.id, $0.mac, $0.sequence, $0.state, TSRunsCommand.position($0), TSRunsCommand.progress($0.progress),
                 TSRunsCommand.seconds($0.elapsedMilliseconds)]
            }))
        }
    }
}

/// `netboot ts runs show --json`: the run, and the logs its runner sent (`logs[]`: name, bytes, path).
struct RunWithLogs: Encodable {
    var view: RunView
    var logs: [RunLogFiles.Entry]

    private enum Key: String, CodingKey { case logs }

    func encode(to encoder: any Encoder) throws {
        try view.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(logs, forKey: .logs)
    }
}

struct TSRunsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One run: every step with its result and times, and the logs its runner sent.",
        discussion: HelpText.discussion(examples: [("netboot ts runs show 3f2a9c1e-… --json", "one run, every step and its times")],
                                        exitCodes: [(0, "the run was printed"), (1, "no such run, or the bridge's records cannot be read")]))

    @Argument(help: "The run's id (from 'netboot ts runs').") var id: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var state: BridgeStateOption

    func run() throws {
        let stateDir = try state.directory()
        guard let store = try state.records(write: false), try store.hasRunTables(), let record = try store.run(id: id) else {
            FileHandle.standardError.write(Data("netboot: no run \(id) in the bridge's records\n".utf8))
            throw ExitCode(1)
        }
        let view = RunView.fold(record, events: try store.runEvents(id: id), nowMilliseconds: TSRunsCommand.nowMilliseconds())
        let logs = RunLogFiles.list(stateDirectory: stateDir, run: record.id)
        if json {
            print(try RunJSON.pretty(RunWithLogs(view: view, logs: logs)))
            return
        }
        let fields: [(String, String)] = [
            ("run", view.id), ("mac", view.mac), ("sequence", view.sequence), ("state", view.state),
            ("position", TSRunsCommand.position(view)), ("progress", TSRunsCommand.progress(view.progress)),
            ("started", TSRunsCommand.time(view.startedAtMilliseconds)), ("finished", TSRunsCommand.time(view.finishedAtMilliseconds)),
            ("elapsed", TSRunsCommand.seconds(view.elapsedMilliseconds)), ("events", "\(view.events)"),
        ] + logs.map { ("log", "\($0.path) (\($0.bytes) bytes)") }
        print(fields.map { "\($0.0): \(CLITable.printable($0.1))" }.joined(separator: "\n"))
        print("")
        print(CLITable.render(["#", "STEP", "TYPE", "STATE", "ATTEMPTS", "STARTED", "TOOK", "EXIT", "MESSAGE"], view.steps.enumerated().map { index, step in
            let took = step.startedAtMilliseconds.flatMap { start in step.finishedAtMilliseconds.map { TSRunsCommand.seconds($0 - start) } }
            return ["\(index + 1)", step.name, step.type ?? "-", step.state, "\(step.attempts)", TSRunsCommand.time(step.startedAtMilliseconds),
                    took ?? "-", step.exitCode.map(String.init) ?? "-", step.message ?? ""]
        }))
    }
}
