import BootServices
import Logging
import NetbootConfig
import NetbootWire
import Prometheus
import ServiceLifecycle

/// What `netboot serve` gives every service it builds.
public struct ApplianceContext: Sendable {
    /// The checked configuration (defaults where the file said nothing).
    public let configuration: NetbootConfiguration
    /// The process's Prometheus registry (also the swift-metrics backend); the HTTP service
    /// renders it at `/metrics`.
    public let metrics: PrometheusCollectorRegistry
    /// Reload requests (SIGHUP, later `netboot images rescan`); `subscribe()` for a stream.
    public let reloads: Reloads
    /// The last `capture.flight-recorder` packets of the DHCP/BSDP and TFTP services: each
    /// service taps every packet in and out (`record(datagram:…)` or `record(frame:…)`).
    public let flightRecorder: FlightRecorder
    /// What the control socket reports (services, leases, the served catalog); nil: no control socket.
    public let state: ApplianceState?
    /// What every iPXE script also hands the client (the proxy bridge's URL and fingerprint when
    /// it runs, docs/bridge.md "Discovery"); empty by default.
    public var ipxeDiscovery = IPXEDiscovery()
    /// Decides each iPXE script's local-disk boot and enrollment token (the bridge's store when
    /// it runs in-process, docs/pxe.md "Boot decisions"); nil: every client gets the menu.
    public var bootSessions: (any IPXEBootSessionSource)?

    public init(configuration: NetbootConfiguration, metrics: PrometheusCollectorRegistry, reloads: Reloads,
                flightRecorder: FlightRecorder? = nil, state: ApplianceState? = nil) {
        self.configuration = configuration
        self.metrics = metrics
        self.reloads = reloads
        self.flightRecorder = flightRecorder ?? FlightRecorder(capacity: configuration.capture.flightRecorder)
        self.state = state
    }

    /// The logger of one service, labelled `netboot.<service>` (it goes to the log file and
    /// the console through the handler `NetbootLogging` bootstrapped).
    public func logger(_ service: String) -> Logger {
        Logger(label: "netboot.\(service)")
    }
}

/// The one place where `netboot serve` turns the configuration into running services.
///
/// To add a service (a `ServiceLifecycle.Service` in NetbootServer taking its own options and a
/// `Logger`), add one block to `services(_:)`:
///
/// ```swift
/// if context.configuration.tftp.enabled {
///     add("tftp", TFTPService(options: TFTPOptions(context.configuration.tftp), logger: context.logger("tftp")))
/// }
/// ```
///
/// The service's `run()` binds its sockets and returns when graceful shutdown is signalled
/// (`cancelOnGracefulShutdown()` / `withGracefulShutdownHandler`). A `run()` that throws stops
/// the whole group, and `netboot serve` exits 1 with the error logged.
public enum ServiceAssembly {
    /// A named service of the group.
    public struct Entry: Sendable {
        public let name: String
        public let service: any Service

        public init(name: String, service: any Service) {
            self.name = name
            self.service = service
        }
    }

    /// The services the configuration enables and this build contains, in start order.
    public static func services(_ context: ApplianceContext) throws -> [Entry] {
        var entries: [Entry] = []
        func add(_ name: String, _ service: any Service) { entries.append(Entry(name: name, service: service)) }
        // One block per service, in start order (see above).
        if context.configuration.dhcp.enabled {
            add("dhcp", DHCPService(configuration: context.configuration, reloads: context.reloads,
                                    flightRecorder: context.flightRecorder, state: context.state, logger: context.logger("dhcp")))
        }
        let interfaces = NetworkInterface.all()
        if context.configuration.tftp.enabled {
            var options = TFTPServiceOptions(context.configuration.tftp)
            options.addresses = listenAddresses("tftp", context.configuration.tftp.listen, context, interfaces)
            add("tftp", TFTPService(options: options, logger: context.logger("tftp"), flightRecorder: context.flightRecorder))
        }
        let c = context.configuration
        if c.http.enabled {
            var options = HTTPService.Options(c, metrics: context.metrics)
            options.hosts = listenAddresses("http", c.http.listen, context, interfaces)
            options.ipxe.discovery = context.ipxeDiscovery
            options.bootSessions = context.bootSessions
            add("http", HTTPService(options: options, logger: context.logger("http")))
        }
        if let state = context.state {
            let responder = ControlResponder(state: state, metrics: context.metrics, flightRecorder: context.flightRecorder,
                                             reloads: context.reloads, logger: context.logger("control"))
            add("control", ControlSocketService(stateDir: c.stateDir, responder: responder, logger: context.logger("control")))
        }
        return entries
    }

    /// Where TFTP or HTTP listens: its `listen` list, else the served interfaces' addresses
    /// (``ListenAddresses``); what kept an interface out is logged as a warning.
    static func listenAddresses(_ service: String, _ listen: [IPv4Address], _ context: ApplianceContext,
                                _ interfaces: [NetworkInterface]) -> [String] {
        let (addresses, problems) = ListenAddresses.resolve(listen: listen, interfaces: context.configuration.interfaces,
                                                            from: interfaces)
        for problem in problems { context.logger(service).warning("\(service): \(problem)") }
        return addresses.map(\.description)
    }

    /// The services the configuration enables, as logged at start-up: `dhcp (proxy)`, `bsdp`, ….
    public static func enabledNames(_ c: NetbootConfiguration) -> [String] {
        var names: [String] = []
        if c.dhcp.enabled { names.append("dhcp (\(c.dhcp.mode.rawValue), port \(c.dhcp.port))") }
        if c.bsdp.enabled { names.append("bsdp") }
        if c.tftp.enabled { names.append("tftp (port \(c.tftp.port))") }
        if c.http.enabled { names.append("http (port \(c.http.port))") }
        return names
    }
}
