import CoreMetrics
import Metrics
import BootServices

/// The TFTP service's swift-metrics instruments, created once.
///
/// - `tftp_transfers_total{direction,outcome}` — finished transfers.
/// - `tftp_transfer_duration_seconds{direction,outcome}` — a Timer per transfer.
/// - `tftp_bytes_total{direction}` — payload bytes acknowledged (read) or accepted (write).
/// - `tftp_retransmits_total{direction}` — packets sent again.
/// - `tftp_drops_total{reason}` — datagrams dropped: `malformed`, `unexpected_opcode`,
///   `duplicate_request`, `wrong_tid`, `overload`.
/// - `tftp_refusals_total{code}` — requests answered with an ERROR before any transfer.
/// - `tftp_busy_total{limit}` — requests refused "server busy" (also in `tftp_refusals_total`):
///   `transfers` when every slot was taken, `client` when the client's address held
///   `max-transfers-per-client` already.
/// - `tftp_active_transfers` — a Gauge.
final class TFTPMetrics: Sendable {
    let activeTransfers = Gauge(label: "tftp_active_transfers")
    private let drops: [String: Counter]
    private let busyTransfers = Counter(label: "tftp_busy_total", dimensions: [("limit", "transfers")])
    private let busyClient = Counter(label: "tftp_busy_total", dimensions: [("limit", "client")])
    static let dropReasons = ["malformed", "unexpected_opcode", "duplicate_request", "wrong_tid", "overload"]

    init() {
        var drops: [String: Counter] = [:]
        for reason in Self.dropReasons {
            drops[reason] = Counter(label: "tftp_drops_total", dimensions: [("reason", reason)])
        }
        self.drops = drops
    }

    func dropped(_ reason: String) {
        (drops[reason] ?? Counter(label: "tftp_drops_total", dimensions: [("reason", reason)])).increment()
    }

    /// A request refused "server busy"; `limit` is `transfers` or `client`.
    func busy(_ limit: String) {
        (limit == "client" ? busyClient : busyTransfers).increment()
    }

    func refused(_ code: UInt16) {
        Counter(label: "tftp_refusals_total", dimensions: [("code", String(code))]).increment()
    }

    func finished(direction: String, outcome: TFTPTransferOutcome, statistics: TFTPTransferStatistics,
                  duration: Duration) {
        let dimensions = [("direction", direction), ("outcome", outcome.label)]
        Counter(label: "tftp_transfers_total", dimensions: dimensions).increment()
        Metrics.Timer(label: "tftp_transfer_duration_seconds", dimensions: dimensions).record(duration: duration)
        Counter(label: "tftp_bytes_total", dimensions: [("direction", direction)]).increment(by: Int64(clamping: statistics.bytes))
        if statistics.retransmits > 0 {
            Counter(label: "tftp_retransmits_total", dimensions: [("direction", direction)])
                .increment(by: statistics.retransmits)
        }
    }
}
