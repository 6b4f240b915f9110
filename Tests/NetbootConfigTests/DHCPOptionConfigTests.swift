import LocatedYAML
import NetbootWire
import Testing
@testable import NetbootConfig

/// `option-data`, `client-classes` and the reservations' new keys (issue 20): read values and
/// every error at its line and column.
@Suite struct DHCPOptionConfigTests {
    static let valid = """
    dhcp:
      mode: authoritative
      option-data:
        - { name: ntp-servers, data: "10.0.0.1, 10.0.0.2" }
        - { code: 224, data: "0a:0b", always-send: true }
      client-classes:
        - name: uefi
          match: { vendor-class: PXEClient, architecture: [7, 9], mac-prefix: "52:54:00", circuit-id: "0x0102" }
          option-data: [{ name: interface-mtu, data: 9000 }]
          boot-file: ipxe.efi
          next-server: 10.0.0.9
          ipxe-script: "http://{server}/u.ipxe"
        - name: pinned
      subnets:
        - subnet: 10.0.0.0/24
          range: [10.0.0.100, 10.0.0.199]
          client-class: uefi
          option-data:
            - name: domain-search
              data: [lab.example, example]
      reservations:
        - mac: "52:54:00:00:00:01"
          address: 10.0.0.50
          client-classes: [pinned]
          option-data: [{ name: root-path, data: "nfs:10.0.0.2:/srv" }]
          bsdp-images: [Catalina]
        - { mac: "52:54:00:00:00:02", boot-file: "hosts/two.efi" }

    """

    @Test func aKeaStyleConfigurationReads() throws {
        let result = NetbootConfiguration.parse(Self.valid, file: "t.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.rendered)")
        let dhcp = result.configuration.dhcp
        #expect(dhcp.optionData == [DHCPOptionData(code: DHCPOptionCode(42), data: [10, 0, 0, 1, 10, 0, 0, 2]),
                                    DHCPOptionData(code: DHCPOptionCode(224), data: [10, 11], alwaysSend: true)])
        let uefi = try #require(dhcp.clientClasses.first)
        #expect(uefi.name == "uefi" && uefi.match.architecture == [7, 9] && uefi.match.vendorClass == ["PXEClient"])
        #expect(uefi.match.macPrefix == [[0x52, 0x54, 0x00]] && uefi.match.circuitID == [[1, 2]])
        #expect(uefi.optionData == [DHCPOptionData(code: DHCPOptionCode(26), data: [0x23, 0x28])])
        #expect(uefi.boot == .init(bootFile: "ipxe.efi", nextServer: IPv4Address(10, 0, 0, 9), ipxeScript: "http://{server}/u.ipxe"))
        #expect(dhcp.subnets.first?.clientClass == "uefi")
        #expect(dhcp.subnets.first?.optionData.first?.code == DHCPOptionCode(119))
        #expect(dhcp.reservations.map(\.clientClasses) == [["pinned"], []])
        #expect(dhcp.reservations[0].boot.bsdpImages == ["Catalina"])
        #expect(dhcp.reservations[1].address == nil && dhcp.reservations[1].boot.bootFile == "hosts/two.efi")
    }

    @Test func wrongOptionValuesAreReportedAtTheValue() {
        #expect(lines("dhcp:\n  option-data:\n    - { name: ntp-servers, data: \"10.0.0.1, ten\" }\n") ==
            ["t.yaml:3:34: error: dhcp.option-data[0].data: ntp-servers (42) takes ipv4-list: 'ten' is not an IPv4 address (a.b.c.d) [wrong-type]"])
        #expect(lines("dhcp:\n  option-data:\n    - name: default-ip-ttl\n      data: 300\n") ==
            ["t.yaml:4:13: error: dhcp.option-data[0].data: default-ip-ttl (23) takes uint8: 300 is out of range 0-255 [out-of-range]"])
        #expect(lines("dhcp:\n  option-data:\n    - name: ip-forwarding\n      data: maybe\n") ==
            ["t.yaml:4:13: error: dhcp.option-data[0].data: ip-forwarding (19) takes bool: 'maybe' is not true or false [wrong-type]"])
        #expect(lines("dhcp:\n  option-data:\n    - name: ntp-servers\n      data: [10.0.0.1, 10.0.0]\n") ==
            ["t.yaml:4:24: error: dhcp.option-data[0].data[1]: ntp-servers (42) takes ipv4-list: '10.0.0' is not an IPv4 address (a.b.c.d) [wrong-type]"])
        #expect(lines("dhcp:\n  option-data:\n    - { name: swap-server, data: [10.0.0.1, 10.0.0.2] }\n") ==
            ["t.yaml:3:34: error: dhcp.option-data[0].data: swap-server (16) takes one ipv4 value, found a list [wrong-type]"])
        #expect(lines("dhcp:\n  option-data:\n    - { code: 200, data: nothex }\n") ==
            ["t.yaml:3:26: error: dhcp.option-data[0].data: option 200 takes binary: 'nothex' is not hex bytes (0a0b0c or 0a:0b:0c) [wrong-type]"])
    }

    @Test func unknownNamesOwnedCodesAndDuplicatesAreErrors() {
        #expect(lines("dhcp:\n  option-data:\n    - { name: ntp-server, data: 10.0.0.1 }\n") ==
            ["t.yaml:3:15: error: dhcp.option-data[0].name: unknown option name 'ntp-server' (did you mean 'ntp-servers'?); options without a name are written with 'code' and hex 'data' [invalid-value]"])
        #expect(lines("dhcp:\n  option-data:\n    - { code: 51, data: \"00000e10\" }\n") ==
            ["t.yaml:3:15: error: dhcp.option-data[0]: option 51 is set by the server itself and cannot be configured [invalid-value]"])
        #expect(lines("dhcp:\n  option-data:\n    - { code: 300, data: \"00\" }\n") ==
            ["t.yaml:3:15: error: dhcp.option-data[0].code: 300 is out of range 1-254 [out-of-range]"])
        #expect(lines("dhcp:\n  option-data:\n    - { name: routers, code: 6, data: 10.0.0.1 }\n") ==
            ["t.yaml:3:30: error: dhcp.option-data[0].code: 6 is not the code of 'routers' (3) [conflict]"])
        #expect(lines("dhcp:\n  option-data:\n    - { name: routers, data: 10.0.0.1 }\n    - { code: 3, csv-format: false, data: 0a000001 }\n") ==
            ["t.yaml:4:7: error: dhcp.option-data[1]: option 3 is already set at this level (dhcp.option-data[0]) [conflict]"])
        #expect(lines("dhcp:\n  option-data:\n    - { data: 10.0.0.1 }\n") ==
            ["t.yaml:3:7: error: dhcp.option-data[0]: missing required key 'name' or 'code' [missing-key]"])
        #expect(lines("dhcp:\n  option-data:\n    - { name: routers, dta: 10.0.0.1 }\n") ==
            ["t.yaml:3:7: error: dhcp.option-data[0]: missing required key 'data' [missing-key]",
             "t.yaml:3:24: error: unknown key 'dhcp.option-data[0].dta' (did you mean 'dhcp.option-data[0].data'?) [unknown-key]"])
        // `type` gives an unnamed code a value type; a named option keeps its own.
        let typed = NetbootConfiguration.parse("dhcp:\n  option-data:\n    - { code: 252, type: string, data: \"http://wpad/wpad.dat\" }\n", file: "t.yaml")
        #expect(typed.diagnostics.isEmpty && typed.configuration.dhcp.optionData.first?.data == Array("http://wpad/wpad.dat".utf8))
        #expect(lines("dhcp:\n  option-data:\n    - { name: routers, type: string, data: x }\n") ==
            ["t.yaml:3:30: error: dhcp.option-data[0].type: routers (3) has a standard type (ipv4-list); 'type' is for codes without a name [conflict]"])
        #expect(lines("dhcp:\n  option-data:\n    - { code: 252, type: text, data: x }\n") ==
            ["t.yaml:3:26: error: dhcp.option-data[0].type: 'text' is not one of ipv4, ipv4-list, string, uint8, uint16, uint32, int32, uint16-list, bool, binary, fqdn-list [invalid-value]"])
        // csv-format: false writes a named option as hex.
        let hex = NetbootConfiguration.parse("dhcp:\n  option-data:\n    - { name: routers, csv-format: false, data: 0a000001 }\n", file: "t.yaml")
        #expect(hex.diagnostics.isEmpty && hex.configuration.dhcp.optionData.first?.data == [10, 0, 0, 1])
    }

    @Test func classErrorsAreLocated() {
        #expect(lines("dhcp:\n  client-classes:\n    - name: a\n      match: { architecture: efi }\n") ==
            ["t.yaml:4:30: error: dhcp.client-classes[0].match.architecture: 'efi' is not an architecture type 0-65535 (RFC 4578: 0 BIOS, 7 x64 UEFI) [wrong-type]"])
        #expect(lines("dhcp:\n  client-classes:\n    - name: a\n      match: { mac-prefix: \"52:54:0\" }\n") ==
            ["t.yaml:4:28: error: dhcp.client-classes[0].match.mac-prefix: expected 1-6 hex bytes like 52:54:00, found '52:54:0' [wrong-type]"])
        #expect(lines("dhcp:\n  client-classes:\n    - { name: a }\n    - { name: a }\n") ==
            ["t.yaml:4:15: error: dhcp.client-classes[1].name: class 'a' is already defined (dhcp.client-classes[0]) [conflict]"])
        #expect(lines("dhcp:\n  client-classes:\n    - name: a\n      match: { arch: 7 }\n") ==
            ["t.yaml:4:16: error: unknown key 'dhcp.client-classes[0].match.arch' [unknown-key]"])
        #expect(lines("dhcp:\n  client-classes: [{ name: uefi }]\n  subnets:\n    - { subnet: 10.0.0.0/24, client-class: uefl }\n") ==
            ["t.yaml:4:7: error: dhcp.subnets[0].client-class: no client class named 'uefl' (did you mean 'uefi'?) [invalid-value]"])
        #expect(lines("dhcp:\n  reservations:\n    - { mac: \"52:54:00:00:00:01\" }\n") ==
            ["t.yaml:3:7: error: dhcp.reservations[0]: missing required key 'address' (or option-data, client-classes, a boot setting) [missing-key]"])
    }
}
