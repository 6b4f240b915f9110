import Testing
@testable import NetbootWire

/// The option definition table and its value encoder (issue 20: typed `option-data`).
@Suite struct DHCPOptionDefinitionTests {
    private func encode(_ name: String, _ values: [String]) throws -> [UInt8] {
        let definition = try #require(DHCPOptionDefinition.definition(named: name))
        return try definition.encode(values)
    }

    private func failure(_ name: String, _ values: [String]) -> DHCPOptionValueError? {
        guard let definition = DHCPOptionDefinition.definition(named: name) else { return nil }
        do {
            _ = try definition.encode(values)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyTypeEncodesAsRFC2132Says() throws {
        #expect(try encode("ntp-servers", ["10.0.0.1, 10.0.0.2"]) == [10, 0, 0, 1, 10, 0, 0, 2])
        #expect(try encode("ntp-servers", ["10.0.0.1", "10.0.0.2"]) == [10, 0, 0, 1, 10, 0, 0, 2])
        #expect(try encode("swap-server", ["192.0.2.9"]) == [192, 0, 2, 9])
        #expect(try encode("root-path", ["nfs:10.0.0.2:/images, ro"]) == Array("nfs:10.0.0.2:/images, ro".utf8))
        #expect(try encode("default-ip-ttl", ["64"]) == [64])
        #expect(try encode("interface-mtu", ["1500"]) == [0x05, 0xdc])
        #expect(try encode("arp-cache-timeout", ["4294967295"]) == [0xff, 0xff, 0xff, 0xff])
        #expect(try encode("time-offset", ["-3600"]) == [0xff, 0xff, 0xf1, 0xf0])
        #expect(try encode("ip-forwarding", ["true"]) == [1])
        #expect(try encode("ip-forwarding", ["0"]) == [0])
        #expect(try encode("vendor-encapsulated-options", ["01:04:c0:a8:00:01"]) == [1, 4, 0xc0, 0xa8, 0, 1])
        #expect(try encode("vendor-encapsulated-options", ["0x0102"]) == [1, 2])
        #expect(try encode("path-mtu-plateau-table", ["68, 296"]) == [0, 68, 1, 40])
        // RFC 1035 labels, RFC 3397 without compression.
        #expect(try encode("domain-search", ["lab.example, example"])
            == [3] + Array("lab".utf8) + [7] + Array("example".utf8) + [0, 7] + Array("example".utf8) + [0])
    }

    @Test func wrongValuesSayWhatIsExpected() {
        #expect(failure("ntp-servers", ["10.0.0.1, ten"]) == .wrongType(value: "ten", expected: "an IPv4 address (a.b.c.d)"))
        #expect(failure("default-ip-ttl", ["256"]) == .outOfRange(value: "256", range: "0-255"))
        #expect(failure("default-ip-ttl", ["-1"]) == .outOfRange(value: "-1", range: "0-255"))
        #expect(failure("interface-mtu", ["65536"]) == .outOfRange(value: "65536", range: "0-65535"))
        #expect(failure("interface-mtu", ["big"]) == .wrongType(value: "big", expected: "an integer"))
        #expect(failure("time-offset", ["2147483648"]) == .outOfRange(value: "2147483648", range: "-2147483648-2147483647"))
        #expect(failure("ip-forwarding", ["yes"]) == .wrongType(value: "yes", expected: "true or false"))
        #expect(failure("vendor-encapsulated-options", ["0g"]) == .wrongType(value: "0g", expected: "hex bytes (0a0b0c or 0a:0b:0c)"))
        #expect(failure("swap-server", ["10.0.0.1", "10.0.0.2"]) == .count(found: 2, expected: "one value"))
        #expect(failure("ntp-servers", [""]) == .count(found: 0, expected: "at least one value"))
        #expect(failure("domain-search", ["bad..name"]) == .wrongType(value: "bad..name", expected: "a domain name"))
        #expect(failure("root-path", [""]) == .wrongType(value: "", expected: "a non-empty string"))
    }

    @Test func unknownCodesAreHexAndTheTableIsConsistent() throws {
        let custom = DHCPOptionDefinition.definition(for: DHCPOptionCode(224))
        #expect(custom.type == .binary && custom.name == "option-224")
        #expect(try custom.encode(["de ad be ef"]) == [0xde, 0xad, 0xbe, 0xef])
        #expect(Set(DHCPOptionDefinition.standard.map(\.name)).count == DHCPOptionDefinition.standard.count)
        #expect(Set(DHCPOptionDefinition.standard.map(\.code)).count == DHCPOptionDefinition.standard.count)
        for owned in DHCPOptionDefinition.serverOwned {
            #expect(!DHCPOptionDefinition.standard.contains { $0.code.rawValue == owned })
        }
        #expect(DHCPOptionDefinition.definition(named: "routers")?.code == .router)
        #expect(DHCPOptionDefinition.definition(named: "ntp-server") == nil)
    }

    @Test func tooLongValuesAreRefusedNotTrapped() {
        let many = (0..<256).map { _ in "10.0.0.1" }.joined(separator: ",")
        #expect(failure("ntp-servers", [many]) == .tooLong(1024))
        #expect(DHCPOptionDefinition.hex("") == nil && DHCPOptionDefinition.hex("abc") == nil)
    }
}
