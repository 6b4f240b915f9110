import ArgumentParser
import Foundation
import NetbootConfig

/// `netboot config …`: configuration tools.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration file, or make the running server read it again.",
        discussion: HelpText.discussion(examples: [("netboot config check", "check etc/netboot.yaml"),
                                                   ("netboot config reload", "the running server reads its file again")],
                                        exitCodes: HelpText.group),
        subcommands: [ConfigCheckCommand.self, ConfigReloadCommand.self]
    )
}

/// `netboot config check [FILE]`: every problem of the file at once, as
/// `file:line:col: error: message [rule]` with the source line and a caret; exit 1 on any error.
struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report every error in a configuration file; exit 1 if there is one.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot config check", "etc/netboot.yaml (absent: says the embedded defaults apply)"),
                ("netboot config check lab.yaml", "any file; the same as --config lab.yaml"),
                ("netboot config check --json", "one JSON object: file, ok, errors, warnings, diagnostics"),
            ],
            exitCodes: [(0, "no errors (warnings may be printed)"), (1, "at least one error, or the file cannot be read")])
    )

    @Argument(help: "The configuration file (default: \(ConfigurationFile.defaultPath)).")
    var file: String?

    @OptionGroup var config: ConfigurationOption

    @Flag(help: "Print one JSON object (file, ok, errors, warnings, diagnostics) instead of text.")
    var json = false

    func validate() throws {
        if file != nil, config.config != nil, file != config.config {
            throw ValidationError("give the file once: as FILE or as --config")
        }
    }

    func run() throws {
        // Like `netboot serve`: without FILE, an absent default file means the embedded defaults.
        guard let file = file ?? config.config ?? existingDefault() else {
            if json {
                print(ConfigCheckReport(file: ConfigurationFile.defaultPath, found: false, diagnostics: []).json)
                return
            }
            print("\(ConfigurationFile.defaultPath) not found: netboot serve uses the embedded defaults")
            return
        }
        let result = NetbootConfiguration.load(contentsOf: file)
        if json {
            // A named file that is not there is not "found" (its io error is in the diagnostics).
            let report = ConfigCheckReport(file: file, found: FileManager.default.fileExists(atPath: file),
                                           diagnostics: result.diagnostics)
            print(report.json)
            if !report.ok { throw ExitCode(1) }
            return
        }
        for text in result.rendered {
            print(text)
        }
        let errors = result.diagnostics.filter { $0.severity == .error }.count
        let warnings = result.diagnostics.filter { $0.severity == .warning }.count
        if errors > 0 {
            print("\(file): \(errors) error\(errors == 1 ? "" : "s")\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "")")
            throw ExitCode(1)
        }
        print("\(file): OK\(warnings > 0 ? " (\(warnings) warning\(warnings == 1 ? "" : "s"))" : "")")
    }

    private func existingDefault() -> String? {
        FileManager.default.fileExists(atPath: ConfigurationFile.defaultPath) ? ConfigurationFile.defaultPath : nil
    }
}
