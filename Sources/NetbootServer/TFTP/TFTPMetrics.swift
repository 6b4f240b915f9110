import CoreMetrics
import Metrics
import BootServices

/// The TFTP service's swift-metrics instruments, created once.
///
/// - `netboot_tftp_transfers_total{direction,outcome}` — finished transfers.
/// - `netboot_tftp_transfer_duration_seconds{direction,outcome}` — a Timer per transfer.
/// - `netboot_tftp_bytes_total{direction}` — payload bytes acknowledged (read) or accepted (write).
/// - `netboot_tftp_retransmits_total{direction}` — packets sent again.
/// - `netboot_tftp_drops_total{reason}` — datagrams dropped: `malformed`, `unexpected_opcode`,
///   `duplicate_request`, `wrong_tid`, `overload`.
/// - `netboot_tftp_refusals_total{code}` — requests answered with an ERROR before any transfer.
/// - `netboot_tftp_busy_total{limit}` — requests refused "server busy" (also in
///   `netboot_tftp_refusals_total`): `transfers` when every slot was taken, `client` when the
///   client's address held `max-transfers-per-client` already.
/// - `netboot_tftp_active_transfers` — a Gauge.
final class TFTPMetrics: Sendable {
    let activeTransfers = Gauge(label: TFTPMetrics.activeTransfersLabel)
    private let drops: [String: Counter]
    private let busyTransfers = Counter(label: "netboot_tftp_busy_total", dimensions: [("limit", "transfers")])
    private let busyClient = Counter(label: "netboot_tftp_busy_total", dimensions: [("limit", "client")])
    static let dropReasons = ["malformed", "unexpected_opcode", "duplicate_request", "wrong_tid", "overload"]

    init() {
        var drops: [String: Counter] = [:]
        for reason in Self.dropReasons {
            drops[reason] = Counter(label: Self.dropsLabel, dimensions: [("reason", reason)])
        }
        self.drops = drops
    }

    func dropped(_ reason: String) {
        (drops[reason] ?? Counter(label: Self.dropsLabel, dimensions: [("reason", reason)])).increment()
    }

    /// A request refused "server busy"; `limit` is `transfers` or `client`.
    func busy(_ limit: String) {
        (limit == "client" ? busyClient : busyTransfers).increment()
    }

    func refused(_ code: UInt16) {
        Counter(label: "netboot_tftp_refusals_total", dimensions: [("code", String(code))]).increment()
    }

    func finished(direction: String, outcome: TFTPTransferOutcome, statistics: TFTPTransferStatistics,
                  duration: Duration) {
        let dimensions = [("direction", direction), ("outcome", outcome.label)]
        Counter(label: Self.transfersLabel, dimensions: dimensions).increment()
        Metrics.Timer(label: "netboot_tftp_transfer_duration_seconds", dimensions: dimensions).record(duration: duration)
        Counter(label: "netboot_tftp_bytes_total", dimensions: [("direction", direction)]).increment(by: Int64(clamping: statistics.bytes))
        if statistics.retransmits > 0 {
            Counter(label: "netboot_tftp_retransmits_total", dimensions: [("direction", direction)])
                .increment(by: statistics.retransmits)
        }
    }
}
