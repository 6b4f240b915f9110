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

    @Test func descriptionsMatchTheTextFormsForEveryByte() {
        for value in 0...255 {
            let byte = UInt8(value)
            let ipv4 = IPv4Address(byte, 255 - byte, byte / 10, 0)
            #expect(ipv4.description == "\(byte).\(255 - byte).\(byte / 10).0")
            #expect(IPv4Address(ipv4.description) == ipv4)
            let mac = MACAddress(rawValue: UInt64(byte) << 40 | UInt64(255 - byte) << 8 | 0x0a)
            let hex = String(byte, radix: 16), low = String(255 - byte, radix: 16)
            #expect(mac.description == "\(byte < 16 ? "0" : "")\(hex):00:00:00:\(255 - byte < 16 ? "0" : "")\(low):0a")
            #expect(MACAddress(mac.description) == mac)
        }
        #expect(IPv4Address.broadcast.description == "255.255.255.255")
        #expect(IPv4Address.any.description == "0.0.0.0")
        #expect(MACAddress.broadcast.description == "ff:ff:ff:ff:ff:ff")
    }
}
