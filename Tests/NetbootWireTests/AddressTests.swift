import Testing
@testable import NetbootWire

@Suite struct AddressTests {
    @Test func ipv4ParsesOnlyDottedQuads() {
        #expect(IPv4Address("10.0.0.1") == IPv4Address(10, 0, 0, 1))
        #expect(IPv4Address("10.0.0.1")?.description == "10.0.0.1")
        for bad in ["10.0.0", "10.0.0.256", "010.0.0.1", "1.2.3.4.5", "", "a.b.c.d", "1..2.3"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
    }

    @Test func macParsesCommonForms() {
        let expected = MACAddress(rawValue: 0x5254_0012_3456)
        #expect(MACAddress("52:54:00:12:34:56") == expected)
        #expect(MACAddress("52-54-00-12-34-56") == expected)
        #expect(MACAddress("525400123456") == expected)
        #expect(expected.description == "52:54:00:12:34:56")
        for bad in ["52:54:00:12:34", "52:54-00:12:34:56", "zz:54:00:12:34:56", ""] {
            #expect(MACAddress(bad) == nil, "\(bad)")
        }
    }
}
