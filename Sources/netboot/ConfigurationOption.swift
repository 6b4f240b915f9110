import ArgumentParser
import Foundation
import NetbootConfig
import Logging
import NetbootServer
import NetbootStore

/// Which configuration file `netboot` commands read when `--config` is not given.
enum ConfigurationFile {
    static let defaultPath = "etc/netboot.yaml"
}

/// `--config FILE`, shared by every command that reads the configuration (`serve`, `images`,
/// `explain`, `leases`, `debug`, `config check`), and the one way they read it:
///
/// - `--config FILE`: that file, which must exist;
/// - otherwise `etc/netboot.yaml` when it exists, else the embedded defaults (the same values);
/// - any error in the file: every diagnostic on standard error with its source line and a caret,
///   then `netboot: N errors in FILE`, and exit 1 — `serve` refuses to start on the same file,
///   so no command reports from a configuration the server would not run;
/// - warnings (clamped values) go to standard error and the command goes on.
struct ConfigurationOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The configuration file (default: \(ConfigurationFile.defaultPath) if it exists, else the embedded defaults).",
        valueName: "file"))
    var config: String?

    /// The configuration, its diagnostics and where it came from; throws `ExitCode(1)` after
    /// printing the errors when the file has any (`refusal` goes before the count:
    /// `netboot: not starting: 2 errors in FILE`).
    /// Warnings are printed unless `warnings` is false (`serve` logs them instead).
    func load(refusal: String = "", warnings: Bool = true) throws -> LoadedConfiguration {
        let loaded = LoadedConfiguration.read(explicit: config)
        guard let result = loaded.result else { return loaded }
        if result.hasErrors {
            for text in result.rendered { printToStandardError(text) }
            let errors = result.diagnostics.filter { $0.severity == .error }.count
            printToStandardError("netboot: \(refusal)\(errors) error\(errors == 1 ? "" : "s") in \(result.file)")
            throw ExitCode(1)
        }
        if warnings { for text in result.rendered { printToStandardError(text) } }
        return loaded
    }
}

/// A configuration as a command read it.
struct LoadedConfiguration {
    var configuration: NetbootConfiguration
    /// The file's result; nil for the embedded defaults.
    var result: ConfigurationResult?
    var origin: Appliance.ConfigurationOrigin

    /// Reads `explicit`, else the default file if it exists, else the embedded defaults; reports nothing.
    static func read(explicit: String?) -> LoadedConfiguration {
        if let path = explicit ?? (FileManager.default.fileExists(atPath: ConfigurationFile.defaultPath) ? ConfigurationFile.defaultPath : nil) {
            let result = NetbootConfiguration.load(contentsOf: path)
            return LoadedConfiguration(configuration: result.configuration, result: result, origin: .file(path))
        }
        return LoadedConfiguration(configuration: .defaults, result: nil,
                                   origin: .embeddedDefaults(missing: ConfigurationFile.defaultPath))
    }
}

/// One line on standard error, as written (diagnostics carry their own `file:line:col: error:`).
func printToStandardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--config FILE` and `--state-dir DIR` for the commands that read the proxy bridge's store
/// (`tokens`, `devices`): where `netboot serve` and `netboot bridge` keep it — `bridge.sqlite`
/// in the configuration's `state-dir`, or the PostgreSQL store `store:` names — unless
/// `--state-dir` names a directory whose `bridge.sqlite` to use.
struct BridgeStateOption: ParsableArguments {
    @OptionGroup var config: ConfigurationOption

    @Option(name: .long, help: ArgumentHelp(
        "A state directory whose bridge.sqlite to use (default: where the configuration's store keeps the bridge's records).", valueName: "dir"))
    var stateDir: String?

    /// The state directory; exits 1 after printing the errors of a broken configuration.
    func directory() throws -> String {
        try stateDir ?? config.load().configuration.stateDir
    }

    /// The bridge's records (docs/store.md "The bridge's records"): `bridge.sqlite` in
    /// `--state-dir`, or, without it, wherever the configuration's `store:` keeps them (the
    /// state-dir's `bridge.sqlite`, or the shared PostgreSQL database). With `write`, the
    /// records are created or migrated; without, nil (with a note) when there are none yet.
    func records(write: Bool) throws -> (any BridgeRecords)? {
        var configuration: NetbootConfiguration
        if let stateDir {
            configuration = .defaults
            configuration.stateDir = stateDir
        } else {
            configuration = try config.load().configuration
        }
        guard case .postgresql = configuration.store else {
            return write ? try BridgeStore(stateDirectory: configuration.stateDir) : try BridgeStoreFile.open(configuration.stateDir)
        }
        do {
            let store = try ConfiguredStore.openBridgeRecords(configuration, migrate: write, logger: Logger(label: "netboot.store"))
            if !write, let backend = store as? any StoreBackend, try backend.schemaVersion() < StoreSchema.version {
                FileHandle.standardError.write(Data("netboot: no bridge records in \(ConfiguredStore.location(configuration)) yet (netboot store migrate)\n".utf8))
                return nil
            }
            return store
        } catch {
            throw ValidationError("cannot open the bridge's records in \(ConfiguredStore.location(configuration)): \(error)")
        }
    }
}
