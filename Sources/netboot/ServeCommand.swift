import ArgumentParser
import Foundation
import BootServices
import Logging
import NetbootConfig
import NetbootServer
import ProxyBridge

/// `netboot serve [--config FILE]`: checks the configuration, refuses to start on any error,
/// then runs every enabled service until SIGTERM or SIGINT.
///
/// Without `--config`, `etc/netboot.yaml` is used when it exists and the embedded defaults
/// when it does not; a file named with `--config` must exist.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the appliance.")

    @Option(name: .long, help: "The configuration file (default: \(ConfigurationFile.defaultPath), or the embedded defaults if it is absent).")
    var config: String?

    @Flag(name: .long, help: "Do not copy log lines to standard error.")
    var quiet = false

    func run() async throws {
        let result: ConfigurationResult?
        let origin: Appliance.ConfigurationOrigin
        if let config {
            result = NetbootConfiguration.load(contentsOf: config)
            origin = .file(config)
        } else if FileManager.default.fileExists(atPath: ConfigurationFile.defaultPath) {
            result = NetbootConfiguration.load(contentsOf: ConfigurationFile.defaultPath)
            origin = .file(ConfigurationFile.defaultPath)
        } else {
            result = nil
            origin = .embeddedDefaults(missing: ConfigurationFile.defaultPath)
        }
        if let result, result.hasErrors {
            for text in result.rendered { printError(text) }
            let errors = result.diagnostics.filter { $0.severity == .error }.count
            printError("netboot: not starting: \(errors) error\(errors == 1 ? "" : "s") in \(result.file)")
            throw ExitCode(1)
        }
        let configuration = result?.configuration ?? .defaults
        let sink: LogFileSink
        do {
            sink = try NetbootLogging.bootstrap(configuration.logs, console: !quiet)
        } catch {
            printError("netboot: not starting: cannot open the log file in \(configuration.logs.dir): \(error)")
            throw ExitCode(1)
        }
        defer { sink.flush() }
        ProcessPriority.maintain(nice: configuration.nice, logger: Logger(label: "netboot"))
        let metrics = NetbootMetrics.bootstrap()
        var additional: [ServiceAssembly.Entry] = []
        var discovery = IPXEDiscovery()
        if configuration.bridge.enabled {
            do {
                let bridge = try ProxyBridge(configuration: configuration, logger: Logger(label: "netboot.bridge"))
                additional = bridge.services.map { ServiceAssembly.Entry(name: "bridge", service: $0) }
                discovery = IPXEDiscovery(variables: bridge.discovery.ipxeVariables(host: "{host}"),
                                          kernelArguments: bridge.discovery.kernelArguments(host: "{host}"))
            } catch {
                sink.flush()
                printError("netboot: not starting: bridge: \(error)")
                throw ExitCode(1)
            }
        }
        do {
            try await Appliance.serve(result, origin: origin, metrics: metrics, version: NetbootVersion.string,
                                      additional: additional, ipxeDiscovery: discovery)
        } catch {
            sink.flush()
            if quiet { printError("netboot: stopped on error: \(error)") }
            throw ExitCode(1)
        }
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
