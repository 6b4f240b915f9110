import Logging
import Metrics
import Prometheus
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

extension HTTPService {
    /// Runs the HTTP service on its own until SIGINT or SIGTERM: the dev command
    /// `netboot http-serve`. Bootstraps swift-metrics with a Prometheus registry (once per
    /// process) when `options.metricsRegistry` is nil, and raises the open-file limit to its
    /// hard maximum so `maxConnections` is reachable.
    public static func runStandalone(options: Options, logger: Logger) async throws {
        var options = options
        if options.metricsRegistry == nil {
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            options.metricsRegistry = registry
        }
        raiseOpenFileLimit()
        let service = HTTPService(options: options, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
    }

    /// Sets the soft `RLIMIT_NOFILE` to the hard limit.
    public static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }
}

#if canImport(Glibc)
// Glibc imports RLIMIT_NOFILE as an enum case of `__rlimit_resource`.
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#endif
