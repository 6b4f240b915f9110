import BootServices
import Logging
import NetbootConfig
import Prometheus
import ServiceLifecycle

/// `netboot serve`: every service of the appliance in one `ServiceGroup` (the Hummingbird 2
/// pattern, DESIGN §8), shut down gracefully on SIGTERM or SIGINT.
public enum Appliance {
    /// Where the configuration came from, as logged at start-up.
    public enum ConfigurationOrigin: Sendable, CustomStringConvertible {
        case file(String)
        /// No file: the compiled-in defaults (the default file was absent).
        case embeddedDefaults(missing: String)

        public var description: String {
            switch self {
            case let .file(path): path
            case let .embeddedDefaults(missing): "embedded defaults (\(missing) not found)"
            }
        }

        /// The file `config reload` reads: the one read at start, or the default that was missing.
        public var path: String {
            switch self {
            case let .file(path): path
            case let .embeddedDefaults(missing): missing
            }
        }
    }

    /// Runs until SIGTERM/SIGINT (then returns) or until a service fails (then throws, after
    /// every other service has stopped): a ``ListenError`` when one could not open a socket.
    /// Logging and metrics must be bootstrapped by the caller (`NetbootLogging`,
    /// `NetbootMetrics`), which owns the process.
    /// `additional` are services built outside this target that run in the same group (the
    /// proxy bridge when `bridge.enabled`); `ipxeDiscovery` goes into every iPXE script, and
    /// `bootSessions` decides each script's local-disk boot and enrollment token.
    public static func serve(_ result: ConfigurationResult?, origin: ConfigurationOrigin,
                             metrics: PrometheusCollectorRegistry, version: String,
                             additional: [ServiceAssembly.Entry] = [],
                             ipxeDiscovery: IPXEDiscovery = IPXEDiscovery(),
                             bootSessions: (any IPXEBootSessionSource)? = nil) async throws {
        let logger = Logger(label: "netboot")
        let configuration = result?.configuration ?? .defaults
        logger.info("netboot \(version) starting", metadata: ["configuration": "\(origin)"])
        for diagnostic in result?.diagnostics ?? [] {
            logger.warning("\(diagnostic)")
        }
        let enabled = ServiceAssembly.enabledNames(configuration)
        logger.info("enabled in configuration: \(enabled.isEmpty ? "nothing" : enabled.joined(separator: ", "))")

        let reloads = Reloads()
        let state = ApplianceState(version: version, configuration: configuration, configurationFile: origin.path,
                                   configurationOrigin: origin.description)
        var context = ApplianceContext(configuration: configuration, metrics: metrics, reloads: reloads, state: state)
        context.ipxeDiscovery = ipxeDiscovery
        context.bootSessions = bootSessions
        let entries = try ServiceAssembly.services(context) + additional
        logger.info("running services: \(entries.isEmpty ? "none in this build yet" : entries.map(\.name).joined(separator: ", "))")

        let all = TrackedService.tracking(entries, in: state, configuration: configuration) + [
            ServiceAssembly.Entry(name: "sighup", service: HangupService(reloads: reloads, logger: logger)),
            ServiceAssembly.Entry(name: "flight-recorder", service: FlightRecorderService(
                recorder: context.flightRecorder, configuration: configuration, logger: logger)),
        ]
        // Named, so that an error names the service (not a dump of its configuration).
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: all.map { .init(service: $0.service, serviceName: $0.name) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as any ServiceStartFailure {
            // The group has cancelled and awaited every other service: nothing is left running.
            logger.error("not started: \(error)")
            throw error
        } catch {
            logger.error("stopped on error: \(error)")
            throw error
        }
        logger.info("netboot stopped")
    }
}
