/// The `# HELP` text of every metric the appliance exports, and the step that writes it into
/// the Prometheus text exposition (swift-metrics instruments reach the registry without help
/// text; the exposition format 0.0.4 puts `# HELP name text` before `# TYPE name kind`).
///
/// Every metric is named `netboot_…`; a name missing from ``texts`` still gets a generic line,
/// and the integration test `test_metrics_have_help_and_prefix` fails on it.
public enum MetricHelp {
    public static let texts: [String: String] = [
        "netboot_dhcp_exchanges_total": "DHCP datagrams handled, by message received, decision (offer/ack/nak/drop) and drop reason.",
        "netboot_dhcp_store_refused_total": "Lease writes the store refused because another holder owns the address.",
        "netboot_dhcp_store_failures_total": "Lease store transactions that failed; their replies were withheld.",
        "netboot_dhcp_send_failures_total": "DHCP replies that could not be sent as planned (link-layer send fell back or failed).",
        "netboot_dhcp_pool_addresses": "Addresses of each subnet's dynamic range, by state: total, assigned, declined, free.",
        "netboot_bsdp_selections_total": "BSDP INFORM[SELECT]s answered with ACK[SELECT], by NetBoot image.",
        "netboot_runs": "Task-sequence runs in the bridge's store, by state: running, succeeded, failed.",
        "netboot_http_requests_total": "HTTP responses sent, by status code.",
        "netboot_http_response_bytes_total": "HTTP response body bytes sent.",
        "netboot_http_request_duration_seconds": "Time from a request's head to its response's end.",
        "netboot_http_connections_refused_total": "HTTP connections refused with 503, by limit: total (max-connections) or client (max-connections-per-client).",
        "netboot_http_open_connections": "HTTP connections open now (image downloads in flight).",
        "netboot_tftp_transfers_total": "Finished TFTP transfers, by direction and outcome.",
        "netboot_tftp_transfer_duration_seconds": "Duration of TFTP transfers, by direction and outcome.",
        "netboot_tftp_bytes_total": "TFTP payload bytes acknowledged (read) or accepted (write).",
        "netboot_tftp_retransmits_total": "TFTP packets sent again after a timeout.",
        "netboot_tftp_drops_total": "TFTP datagrams dropped, by reason.",
        "netboot_tftp_refusals_total": "TFTP requests answered with an ERROR before any transfer, by error code.",
        "netboot_tftp_busy_total": "TFTP requests refused \"server busy\", by limit: transfers (every slot taken) or client (max-transfers-per-client).",
        "netboot_tftp_active_transfers": "TFTP transfers running now.",
    ]

    /// `text` with a `# HELP` line before each `# TYPE` line that has none.
    public static func annotate(_ text: String) -> String {
        var out: [Substring] = []
        out.reserveCapacity(text.utf8.count / 32)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), out.last?.hasPrefix("# HELP ") != true {
                let name = line.dropFirst(7).prefix { $0 != " " }
                out.append(Substring("# HELP \(name) \(texts[String(name)] ?? "netboot metric \(name).")"))
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }
}
