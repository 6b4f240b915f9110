import ArgumentParser
import Foundation
import BootEvents
import BootServices
import Logging
import NetbootConfig
import NetbootServer
import ProxyBridge

/// `netboot serve [--config FILE]`: checks the configuration, refuses to start on any error,
/// takes the state directory's lock (one server per state directory), then runs every enabled
/// service until SIGTERM or SIGINT.
///
/// Without `--config`, `etc/netboot.yaml` is used when it exists and the embedded defaults
/// when it does not; a file named with `--config` must exist.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the appliance.",
        discussion: HelpText.discussion(
            "Runs every enabled service (DHCP/BSDP, TFTP, HTTP) until SIGTERM or SIGINT; SIGHUP rescans the images.",
            examples: [
                ("netboot serve", "etc/netboot.yaml if it exists, else the embedded defaults"),
                ("netboot serve --config /etc/netboot/lab.yaml --quiet", "another file; log lines only to the log files"),
            ],
            exitCodes: [
                (0, "stopped by SIGTERM or SIGINT"),
                (1, "not started (\(HelpText.configurationError), or the log file cannot be opened) or stopped on an error"),
            ]))

    @OptionGroup var config: ConfigurationOption

    @Flag(name: .long, help: "Do not copy log lines to standard error.")
    var quiet = false

    func run() async throws {
        let loaded = try config.load(refusal: "not starting: ", warnings: false)
        let configuration = loaded.configuration
        // 0750 when netboot creates it (FileModes); the lock below would create it with the umask's mode.
        do {
            try FileModes.createDirectory(configuration.stateDir)
        } catch {
            printError("netboot: not starting: cannot create the state directory \(configuration.stateDir): \(Self.reason(error))")
            throw ExitCode(1)
        }
        // One server per state directory, before anything is written (logs may live inside it).
        let lock: StateDirectoryLock
        do {
            lock = try StateDirectoryLock.acquire(stateDir: configuration.stateDir)
        } catch {
            printError("netboot: not starting: \(error)")
            throw ExitCode(1)
        }
        defer { withExtendedLifetime(lock) {} }
        let sink: LogFileSink
        do {
            sink = try NetbootLogging.bootstrap(configuration.logs, console: !quiet)
        } catch {
            printError("netboot: not starting: cannot open the log file in \(configuration.logs.dir): \(Self.reason(error))")
            throw ExitCode(1)
        }
        defer { sink.flush() }
        ProcessPriority.maintain(nice: configuration.nice, logger: Logger(label: "netboot"))
        let metrics = NetbootMetrics.bootstrap()
        var additional: [ServiceAssembly.Entry] = []
        var discovery = IPXEDiscovery()
        var bootSessions: BootSessions?
        // The boot events feed the bridge's web console only; without it nobody reads them.
        BootEventFeed.shared.keep(configuration.bridge.enabled)
        if configuration.bridge.enabled {
            do {
                let bridgeLogger = Logger(label: "netboot.bridge")
                let records = try ConfiguredStore.openBridgeRecords(configuration, migrate: true, logger: bridgeLogger)
                let bridge = try ProxyBridge(configuration: configuration, logger: bridgeLogger,
                                             appliance: LocalAppliance(configuration: configuration), records: records)
                additional = bridge.services.map { ServiceAssembly.Entry(name: "bridge", service: $0) }
                discovery = IPXEDiscovery(variables: bridge.discovery.ipxeVariables(host: "{host}"),
                                          kernelArguments: bridge.discovery.kernelArguments(host: "{host}"))
                bootSessions = BootSessions(store: bridge.store, configuration: configuration, logger: Logger(label: "netboot.boot"))
            } catch {
                sink.flush()
                printError("netboot: not starting: bridge: \(error)")
                throw ExitCode(1)
            }
        }
        do {
            try await Appliance.serve(loaded.result, origin: loaded.origin, metrics: metrics, version: NetbootVersion.string,
                                      additional: additional, ipxeDiscovery: discovery, bootSessions: bootSessions)
        } catch let error as any ServiceStartFailure {
            sink.flush()
            printError("netboot: not started: \(error)")
            throw ExitCode(1)
        } catch {
            sink.flush()
            if quiet { printError("netboot: stopped on error: \(error)") }
            throw ExitCode(1)
        }
    }

    /// The system's reason inside a Foundation file error ("No such file or directory"), not
    /// the whole `NSError` dump.
    static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = (error.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }),
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(error.code))) : "\(error)"
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
