import BootServices
import Metrics
import NIOConcurrencyHelpers

/// The DHCP service's swift-metrics counters (rendered by the Prometheus registry at `/metrics`):
/// `netboot_dhcp_exchanges_total{received, decision, reason}` — one per datagram — the shell's
/// own failures, `netboot_dhcp_pool_addresses{subnet, state}` gauges and
/// `netboot_bsdp_selections_total{image}`.
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
            let counter = Counter(label: Self.exchangesLabel,
                                  dimensions: [("received", received), ("decision", decision), ("reason", reason)])
            cache[key] = counter
            return counter
        }
        counter.increment()
    }

    /// One more ACK[SELECT] for the image named `image`.
    func selected(image: String) {
        Counter(label: "netboot_bsdp_selections_total", dimensions: [("image", image)]).increment()
    }

    /// Sets the pool gauges: `state` is total, assigned, declined or free.
    func record(_ usage: [DHCPPoolUsage]) {
        for pool in usage {
            let subnet = pool.subnet.description
            for (state, value) in [("total", pool.total), ("assigned", pool.assigned), ("declined", pool.declined),
                                   ("free", pool.free)] {
                Gauge(label: "netboot_dhcp_pool_addresses", dimensions: [("subnet", subnet), ("state", state)])
                    .record(value)
            }
        }
    }
}
