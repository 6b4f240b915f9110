import ArgumentParser
import Foundation
import NetbootConfig

/// `netboot config …`: configuration tools.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration file, or make the running server read it again.",
        subcommands: [ConfigCheckCommand.self, ConfigReloadCommand.self]
    )
}

/// `netboot config check [FILE]`: every problem of the file at once, as
/// `file:line:col: error: message [rule]` with the source line and a caret; exit 1 on any error.
struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report every error in a configuration file; exit 1 if there is one."
    )

    @Argument(help: "The configuration file (default: \(ConfigurationFile.defaultPath)).")
    var file: String?

    func run() throws {
        // Like `netboot serve`: without FILE, an absent default file means the embedded defaults.
        guard let file = file ?? existingDefault() else {
            print("\(ConfigurationFile.defaultPath) not found: netboot serve uses the embedded defaults")
            return
        }
        let result = NetbootConfiguration.load(contentsOf: file)
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

/// Which configuration `netboot` commands use.
enum ConfigurationFile {
    static let defaultPath = "etc/netboot.yaml"
}
