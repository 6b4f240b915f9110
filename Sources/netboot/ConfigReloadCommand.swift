#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ControlProtocol
import Foundation
import NetbootServer

/// `netboot config reload`: the running server reads its configuration file again
/// (`config.reload`, docs/control.md). A file with errors is refused (the errors are printed,
/// exit 1) and nothing changes; otherwise the image catalog is rescanned and the sections that
/// differ from the running ones are named: they take effect when `netboot serve` restarts.
/// Without a control socket, a running server is sent SIGHUP (which rescans the images only).
struct ConfigReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running server read its configuration file again.",
        discussion: HelpText.discussion(
            "The server checks the file it started with; errors refuse the reload. It rescans the images and names the changed sections, which take effect when netboot serve restarts.",
            examples: [
                ("netboot config reload", "after editing etc/netboot.yaml"),
                ("netboot config reload --config lab.yaml --json", "the server started with lab.yaml, the result as JSON"),
            ],
            exitCodes: ControlConnection.exitCodes(done: "reloaded (or, for a server without a control socket, sent SIGHUP)",
                                                   failed: "the file has errors (all printed) or another failure"))
    )

    @OptionGroup var config: ConfigurationOption

    @Option(name: .long, help: "The state directory holding netboot.sock (default: the configuration's state-dir).")
    var stateDir: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let directory = stateDir ?? ControlConnection.stateDir(config: config.config)
        let reply: ControlReply
        do {
            reply = try ControlConnection.send(.configReload, stateDir: directory)
        } catch {
            if case .notRunning = error, signalHangup(stateDir: directory) { return }
            throw ControlConnection.exit(for: error)
        }
        switch reply.outcome {
        case .reloaded(let result):
            if json {
                print(try ControlConnection.json(result))
                return
            }
            for line in result.warnings { print(line) }
            print("reloaded \(result.file): " + (result.changed.isEmpty ? "no section changed"
                : "changed: \(result.changed.joined(separator: ", "))"))
            for line in result.applied { print("applied: \(line)") }
            if !result.restartNeeded.isEmpty {
                print("restart netboot serve to apply: \(result.restartNeeded.joined(separator: ", "))")
            }
        case .error(let error):
            throw ControlConnection.exit(for: error)
        default:
            throw ControlConnection.exit(for: ControlError(.failed, "unexpected reply to config.reload"))
        }
    }

    /// The fallback for a server without a control socket: SIGHUP to its pid file's pid.
    private func signalHangup(stateDir: String) -> Bool {
        let pidFile = FlightRecorderService.pidFile(stateDir: stateDir)
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
              kill(pid, 0) == 0, kill(pid, SIGHUP) == 0 else { return false }
        ControlConnection.report("netboot: the server (pid \(pid)) has no control socket; sent SIGHUP, which rescans the images only")
        return true
    }
}
