/// The metric names `netboot status` sums (``ControlResponder/snapshot(now:)``): defined once
/// here and used by the services that create the instruments, so a rename cannot leave the
/// status counting zeros.
extension DHCPMetrics {
    static let exchangesLabel = "netboot_dhcp_exchanges_total"
}

extension TFTPMetrics {
    static let activeTransfersLabel = "netboot_tftp_active_transfers"
    static let transfersLabel = "netboot_tftp_transfers_total"
    static let dropsLabel = "netboot_tftp_drops_total"
}

extension HTTPServerMetrics {
    static let requestsLabel = "netboot_http_requests_total"
    static let openConnectionsLabel = "netboot_http_open_connections"
}
