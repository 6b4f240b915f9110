import BootServices
import Metrics
import NIOConcurrencyHelpers

/// The DHCP service's swift-metrics counters (rendered by the Prometheus registry at `/metrics`):
/// `netboot_dhcp_exchanges_total{received, decision, reason}` — one per datagram — and the
/// shell's own failures.
final class DHCPMetrics: Sendable {
    private let counters = NIOLockedValueBox<[String: Counter]>([:])
    let refused = Counter(label: "netboot_dhcp_store_refused_total")
    let storeFailures = Counter(label: "netboot_dhcp_store_failures_total")
    let sendFailures = Counter(label: "netboot_dhcp_send_failures_total")

    func count(_ exchange: DHCPExchange) {
        let received = exchange.received.map { $0.name ?? "type\($0.rawValue)" } ?? "unknown"
        let decision = exchange.decisionLabel
        let reason = exchange.reasonLabel
        let key = received + "|" + decision + "|" + reason
        let counter = counters.withLockedValue { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(label: "netboot_dhcp_exchanges_total",
                                  dimensions: [("received", received), ("decision", decision), ("reason", reason)])
            cache[key] = counter
            return counter
        }
        counter.increment()
    }
}
