import ArgumentParser
import Foundation
import Logging
import NetbootConfig
import NetbootServer
import ProxyBridge
import ServiceLifecycle

/// `netboot bridge [--config FILE]`: the proxy bridge alone (docs/bridge.md), against the
/// configuration's state directory, whether or not `bridge.enabled` is set (that key is for
/// `netboot serve`). Runs until SIGTERM or SIGINT.
struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Run the proxy bridge alone: client port (enrollment, reports, files) and console port."
    )

    @Option(name: .long, help: "The configuration file (default: \(ConfigurationFile.defaultPath), or the embedded defaults if it is absent).")
    var config: String?

    @Flag(name: .long, help: "Do not copy log lines to standard error.")
    var quiet = false

    @Option(name: .long, help: "Most client reports committed in one transaction (1: one commit per report; for benchmarks).")
    var reportBatch = 512

    func validate() throws {
        guard (1...100_000).contains(reportBatch) else { throw ValidationError("--report-batch must be 1…100000") }
    }

    func run() async throws {
        var configuration = NetbootConfiguration.defaults
        let path = config ?? (FileManager.default.fileExists(atPath: ConfigurationFile.defaultPath) ? ConfigurationFile.defaultPath : nil)
        if let path {
            let result = NetbootConfiguration.load(contentsOf: path)
            if result.hasErrors {
                for text in result.rendered { FileHandle.standardError.write(Data((text + "\n").utf8)) }
                FileHandle.standardError.write(Data("netboot: bridge not starting: errors in \(result.file)\n".utf8))
                throw ExitCode(1)
            }
            configuration = result.configuration
        }
        let sink: LogFileSink
        do {
            sink = try NetbootLogging.bootstrap(configuration.logs, console: !quiet)
        } catch {
            FileHandle.standardError.write(Data("netboot: bridge not starting: cannot open the log file in \(configuration.logs.dir): \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { sink.flush() }
        let logger = Logger(label: "netboot.bridge")
        let bridge: ProxyBridge
        do {
            bridge = try ProxyBridge(configuration: configuration, logger: logger, reportBatch: reportBatch,
                                 appliance: LocalAppliance(configuration: configuration))
        } catch {
            FileHandle.standardError.write(Data("netboot: bridge not starting: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if let fingerprint = bridge.fingerprint {
            print("bridge certificate SHA-256 fingerprint: \(fingerprint)")
        }
        let group = ServiceGroup(services: bridge.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
