import NetbootWire
import Testing
@testable import NetbootConfig

/// `tftp.listen` and `http.listen` (issue 14 item 1): IPv4 addresses, the wildcard alone.
@Suite struct ListenAddressTests {
    @Test func emptyByDefaultAndReadAsAddresses() {
        #expect(NetbootConfiguration.defaults.tftp.listen.isEmpty && NetbootConfiguration.defaults.http.listen.isEmpty)
        let result = NetbootConfiguration.parse("tftp: { listen: [10.0.0.1, 192.0.2.7] }\nhttp: { listen: [0.0.0.0] }\n",
                                                file: "t.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.configuration.tftp.listen == [IPv4Address(10, 0, 0, 1), IPv4Address(192, 0, 2, 7)])
        #expect(result.configuration.http.listen == [.any])
    }

    @Test func badEntriesAreLocated() {
        #expect(lines("tftp:\n  listen: [eth0, 10.0.0.1, 10.0.0.1, 255.255.255.255]\n") == [
            "t.yaml:2:12: error: tftp.listen[0]: expected an IPv4 address (a.b.c.d) of this host, or 0.0.0.0 for all, found 'eth0' [wrong-type]",
            "t.yaml:2:28: error: tftp.listen[2]: 10.0.0.1 is listed twice [conflict]",
            "t.yaml:2:38: error: tftp.listen[3]: expected an IPv4 address (a.b.c.d) of this host, or 0.0.0.0 for all, found '255.255.255.255' [wrong-type]",
        ])
        #expect(lines("http:\n  listen: [0.0.0.0, 10.0.0.1]\n") == [
            "t.yaml:2:11: error: http.listen: 0.0.0.0 already means every address; list it alone [conflict]",
        ])
    }
}
