import ArgumentParser
import Foundation
import Logging
import NetbootConfig
import NetbootServer
import ProxyBridge
import ServiceLifecycle

/// `netboot bridge [--config FILE]`: the proxy bridge alone (docs/bridge.md), against the
/// configuration's state directory and its store's bridge records (`bridge.sqlite`, or the
/// shared PostgreSQL database when `store:` names one), whether or not `bridge.enabled` is set
/// (that key is for `netboot serve`). Runs until SIGTERM or SIGINT.
struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Run the proxy bridge alone: client port (enrollment, reports, files) and console port.",
        discussion: HelpText.discussion(
            examples: [("netboot bridge", "the bridge of etc/netboot.yaml's bridge: section, against its state-dir"),
                       ("netboot bridge --config lab.yaml --quiet", "another configuration; log to the log file only")],
            exitCodes: [(0, "stopped by SIGTERM or SIGINT"),
                        (1, "\(HelpText.configurationError), or the bridge could not start (log file, certificate, ports)")])
    )

    @OptionGroup var config: ConfigurationOption

    @Flag(name: .long, help: "Do not copy log lines to standard error.")
    var quiet = false

    @Option(name: .long, help: "Most client reports committed in one transaction (1: one commit per report; for benchmarks).")
    var reportBatch = 512

    func validate() throws {
        guard (1...100_000).contains(reportBatch) else { throw ValidationError("--report-batch must be 1…100000") }
    }

    func run() async throws {
        let configuration = try config.load(refusal: "bridge not starting: ").configuration
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
            let records = try ConfiguredStore.openBridgeRecords(configuration, migrate: true, logger: logger)
            bridge = try ProxyBridge(configuration: configuration, logger: logger, reportBatch: reportBatch,
                                     appliance: LocalAppliance(configuration: configuration), records: records)
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
