import Metrics
import Prometheus

/// swift-metrics → Prometheus: one `PrometheusCollectorRegistry` per process, created when
/// `netboot serve` starts and bootstrapped as the metrics backend, so every `Counter`, `Timer`
/// and `Recorder` a service creates lands in it. The HTTP service renders this registry at
/// `/metrics` (Prometheus text format, `registry.emit(into:)`).
public enum NetbootMetrics {
    /// Creates the registry and bootstraps `MetricsSystem` with it (once per process).
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
