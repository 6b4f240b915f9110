import ArgumentParser
import ControlProtocol
import Foundation
import NetbootConfig
import NetbootServer

/// How the CLI reaches a running `netboot serve`: its control socket `state-dir/netboot.sock`
/// (docs/control.md), the state dir taken from `--state-dir`, else the configuration
/// (`--config`, else `etc/netboot.yaml` when it exists, else the default `var`).
enum ControlConnection {
    /// Exit codes of commands that need the running appliance (docs/control.md).
    enum Exit {
        /// `netboot serve` is not running for this state dir (the LSB "program is not running").
        static let notRunning: Int32 = 3
        /// The socket is there but this user may not connect to it.
        static let permissionDenied: Int32 = 4
    }

    /// The state dir of `config` (or the default file when it exists); configuration errors do
    /// not stop the lookup (a bad value falls back to its default; `netboot config check` reports
    /// them), so that `status` and `config reload` still reach a server whose file was since broken.
    static func stateDir(config: String?) -> String {
        LoadedConfiguration.read(explicit: config).configuration.stateDir
    }

    /// The `EXIT CODES:` of a command that needs the running appliance.
    static func exitCodes(done: String, failed: String = "an error reply or another failure (the message says which)")
        -> [(code: Int32, meaning: String)] {
        [(0, done), (1, failed),
         (Exit.notRunning, "netboot serve is not running for this state dir (no control socket answers)"),
         (Exit.permissionDenied, "the control socket may not be opened by this user (it is the server owner's, mode 0600)")]
    }

    static func socketPath(stateDir: String) -> String {
        ControlSocketService.socketPath(stateDir: stateDir)
    }

    /// Sends one command; a failure to connect is thrown, an error reply returned.
    static func send(_ command: ControlRequest.Command, stateDir: String,
                     timeout: Double = 30) throws(ControlClient.Failure) -> ControlReply {
        try ControlClient.send(ControlRequest(id: .number(1), command: command), to: socketPath(stateDir: stateDir),
                               timeout: timeout)
    }

    /// For commands that need the server: says why there is none on standard error and exits
    /// with the documented code.
    static func exit(for failure: ControlClient.Failure) -> ExitCode {
        report("netboot: \(failure)")
        switch failure {
        case .notRunning: return ExitCode(Exit.notRunning)
        case .permissionDenied: return ExitCode(Exit.permissionDenied)
        case .failed: return ExitCode.failure
        }
    }

    /// An error reply on standard error (with its details), as exit status 1.
    static func exit(for error: ControlError) -> ExitCode {
        report("netboot: \(error.message) [\(error.code.rawValue)]")
        for line in error.details ?? [] { report(line) }
        return ExitCode.failure
    }

    static func report(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Pretty, sorted JSON of a result, for `--json`.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
