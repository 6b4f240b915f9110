import ControlProtocol
import Testing

@Suite struct MetricsReadingTests {
    static let text = """
        # TYPE netboot_dhcp_exchanges_total counter
        netboot_dhcp_exchanges_total{received="DHCPDISCOVER",decision="offer",reason="none"} 5
        netboot_dhcp_exchanges_total{received="unknown",decision="drop",reason="malformed"} 2
        netboot_dhcp_exchanges_total{received="DHCPINFORM",decision="drop",reason="not_bsdp"} 1
        netboot_dhcp_exchanges_total_extra 100
        # TYPE tftp_active_transfers gauge
        tftp_active_transfers 3
        tftp_drops_total{reason="malformed"} 4
        tftp_drops_total{reason="wrong_tid"} 1
        xtftp_drops_total{reason="malformed"} 50
        odd line without a value
        weird{a="b"} NaN
        """

    @Test func sumsAndFilters() {
        let reading = MetricsReading(text: Self.text)
        #expect(reading.count("netboot_dhcp_exchanges_total") == 8)
        #expect(reading.count("netboot_dhcp_exchanges_total", matching: ["decision": "drop"]) == 3)
        #expect(reading.count("tftp_active_transfers") == 3)
        #expect(reading.count("tftp_drops_total") == 5)
        #expect(reading.count("tftp_drops_total", matching: ["reason": "wrong_tid"]) == 1)
        #expect(reading.count("missing") == 0)
        #expect(reading.count("weird") == 0)
    }

    /// A label whose name ends in another's must not match it.
    @Test func labelNamesMatchWhole() {
        let reading = MetricsReading(text: #"m{xreason="a"} 4"# + "\n" + #"m{k="v",reason="a"} 1"#)
        #expect(reading.count("m", matching: ["reason": "a"]) == 1)
    }
}
