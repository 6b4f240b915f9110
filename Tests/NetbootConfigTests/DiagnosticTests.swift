import LocatedYAML
import Testing
@testable import NetbootConfig

/// Every kind of configuration error, at its exact line and column.
@Suite struct DiagnosticTests {
    @Test func unknownKeyWithDidYouMean() {
        #expect(lines("tftp:\n  port: 69\n  max-blksiz: 512\n") ==
            ["t.yaml:3:3: error: unknown key 'tftp.max-blksiz' (did you mean 'tftp.max-blksize'?) [unknown-key]"])
        // DESIGN §4's own example: a whole word, matched through the key's last word.
        #expect(lines("tftp:\n    blocksize: 1460\n") ==
            ["t.yaml:2:5: error: unknown key 'tftp.blocksize' (did you mean 'tftp.max-blksize'?) [unknown-key]"])
        #expect(lines("serverr-address: auto\n") ==
            ["t.yaml:1:1: error: unknown key 'serverr-address' (did you mean 'server-address'?) [unknown-key]"])
        #expect(lines("colour: red\n") == ["t.yaml:1:1: error: unknown key 'colour' [unknown-key]"])
    }

    @Test func wrongTypes() {
        #expect(lines("http:\n  port: abc\n") == ["t.yaml:2:9: error: http.port: expected an integer, found 'abc' [wrong-type]"])
        #expect(lines("tftp: { port: \"69\" }\n") == ["t.yaml:1:15: error: tftp.port: expected an integer, found '69' [wrong-type]"])
        #expect(lines("bsdp:\n  enabled: yes\n") == ["t.yaml:2:12: error: bsdp.enabled: expected true or false, found 'yes'; 'yes' is a string in YAML 1.2, the rule for every netboot file; write true or false [wrong-type]"])
        #expect(lines("bsdp:\n  enabled: \"true\"\n") == ["t.yaml:2:12: error: bsdp.enabled: expected true or false, found 'true' [wrong-type]"])
        #expect(lines("bsdp:\n  enabled: TRUE\n").isEmpty)
        #expect(lines("interfaces: eth0\n") == ["t.yaml:1:13: error: interfaces: expected a list, found 'eth0' [wrong-type]"])
        #expect(lines("logs: [1]\n") == ["t.yaml:1:7: error: logs: expected a mapping, found a list [wrong-type]"])
        #expect(lines("state-dir: {a: 1}\n") == ["t.yaml:1:12: error: state-dir: expected a string, found a mapping [wrong-type]"])
        #expect(lines("- a\n") == ["t.yaml:1:1: error: configuration: expected a mapping, found a list [wrong-type]"])
        #expect(lines("server-address: 10.0.0\n") ==
            ["t.yaml:1:17: error: server-address: expected a unicast IPv4 address (a.b.c.d) or auto, found '10.0.0' [wrong-type]"])
        #expect(lines("dhcp:\n  reservations:\n    - { mac: \"52:54:00:12:34\", address: 10.0.0.1 }\n") ==
            ["t.yaml:3:14: error: dhcp.reservations[0].mac: expected a MAC address (aa:bb:cc:dd:ee:ff), found '52:54:00:12:34' [wrong-type]"])
    }

    @Test func serverAddressAndInterfaces() {
        #expect(lines("server-address: 0.0.0.0\n") ==
            ["t.yaml:1:17: error: server-address: expected a unicast IPv4 address (a.b.c.d) or auto, found '0.0.0.0' [wrong-type]"])
        #expect(lines("interfaces: [eth0, eth0, \"a b\", 12345678901234567]\n") == [
            "t.yaml:1:20: error: interfaces[1]: 'eth0' is listed twice [conflict]",
            "t.yaml:1:26: error: interfaces[2]: 'a b' is not an interface name [invalid-value]",
            "t.yaml:1:33: error: interfaces[3]: '12345678901234567' is not an interface name [invalid-value]",
        ])
        #expect(NetbootConfiguration.parse("interfaces: [eth0, veth1]\n", file: "t").configuration.interfaces == ["eth0", "veth1"])
    }

    @Test func outOfRange() {
        #expect(lines("dhcp:\n  port: 0\n") == ["t.yaml:2:9: error: dhcp.port: 0 is out of range 1-65535 [out-of-range]"])
        #expect(lines("tftp:\n  max-blksize: 70000\n") ==
            ["t.yaml:2:16: error: tftp.max-blksize: 70000 is out of range 8-65464 [out-of-range]"])
        #expect(lines("nice: -21\n") == ["t.yaml:1:7: error: nice: -21 is out of range -20-19 [out-of-range]"])
        #expect(lines("bsdp: { server-priority: 65536 }\n") ==
            ["t.yaml:1:26: error: bsdp.server-priority: 65536 is out of range 0-65535 [out-of-range]"])
    }

    @Test func modeEnumWithDidYouMean() {
        #expect(lines("dhcp:\n  mode: authoritive\n") ==
            ["t.yaml:2:9: error: dhcp.mode: 'authoritive' is not one of proxy, authoritative (did you mean 'authoritative'?) [invalid-value]"])
        #expect(lines("dhcp:\n  mode: relay\n") == ["t.yaml:2:9: error: dhcp.mode: 'relay' is not one of proxy, authoritative [invalid-value]"])
    }

    @Test func perClientLimitsAndAccessLogKeys() {
        #expect(lines("http:\n  access-log-queries: redacted\n") ==
            ["t.yaml:2:23: error: http.access-log-queries: 'redacted' is not one of redact, full (did you mean 'redact'?) [invalid-value]"])
        #expect(lines("tftp: { max-transfers-per-client: 0 }\nhttp: { max-connections-per-client: 0 }\n") ==
            ["t.yaml:1:35: error: tftp.max-transfers-per-client: 0 is out of range 1-65535 [out-of-range]",
             "t.yaml:2:37: error: http.max-connections-per-client: 0 is out of range 1-1000000 [out-of-range]"])
        let parsed = NetbootConfiguration.parse(
            "http: { access-log: false, access-log-health-checks: true, access-log-queries: full }\n", file: "t.yaml")
        #expect(parsed.diagnostics.isEmpty)
        #expect(!parsed.configuration.http.accessLog && parsed.configuration.http.accessLogHealthChecks)
        #expect(parsed.configuration.http.accessLogQueries == .full)
    }

    @Test func logLimitsAreClampedWithAWarning() {
        let small = NetbootConfiguration.parse("logs: { size-limit: 1000, max-files: 0 }\n", file: "t.yaml")
        #expect(!small.hasErrors)
        #expect(small.configuration.logs.sizeLimit == 204_800)
        #expect(small.configuration.logs.maxFiles == 1)
        #expect(small.diagnostics.map(\.description) == [
            "t.yaml:1:21: warning: logs.size-limit: 1000 is outside 204800-4194304; 204800 is used [clamped]",
            "t.yaml:1:38: warning: logs.max-files: 0 is outside 1-20; 1 is used [clamped]",
        ])
        let large = NetbootConfiguration.parse("logs: { size-limit: 99999999, max-files: 21 }\n", file: "t.yaml")
        #expect(large.configuration.logs.sizeLimit == 4_194_304 && large.configuration.logs.maxFiles == 20)
        let inside = NetbootConfiguration.parse("logs: { size-limit: 204800, max-files: 20 }\n", file: "t.yaml")
        #expect(inside.diagnostics.isEmpty && inside.configuration.logs.sizeLimit == 204_800)
    }

    @Test func subnetCrossChecks() {
        let yaml = """
        dhcp:
          mode: authoritative
          subnets:
            - subnet: 10.0.0.0/24
              range: [10.0.0.100, 10.0.1.5]
            - subnet: 10.0.0.128/25
              range: [10.0.0.200, 10.0.0.150]
            - subnet: 10.1.0.0/24
              range: [10.1.0.0, 10.1.0.10]
            - subnet: 10.2.0.5/24
            - range: [10.3.0.1]
          reservations:
            - { mac: "52:54:00:00:00:01", address: 10.0.0.50 }
            - { mac: "52:54:00:00:00:01", address: 10.0.0.50 }
        """
        #expect(lines(yaml) == [
            "t.yaml:5:14: error: dhcp.subnets[0].range: 10.0.1.5 is outside subnet 10.0.0.0/24 [conflict]",
            "t.yaml:6:7: error: dhcp.subnets[1]: 10.0.0.128/25 overlaps 10.0.0.0/24 (dhcp.subnets[0]) [conflict]",
            "t.yaml:7:14: error: dhcp.subnets[1].range: first address 10.0.0.200 is after last address 10.0.0.150 [conflict]",
            "t.yaml:9:14: error: dhcp.subnets[2].range: includes the network or broadcast address of 10.1.0.0/24 [conflict]",
            "t.yaml:10:15: error: dhcp.subnets[3].subnet: 10.2.0.5/24 has host bits set (did you mean 10.2.0.0/24?) [invalid-value]",
            "t.yaml:11:7: error: dhcp.subnets[4]: missing required key 'subnet' [missing-key]",
            "t.yaml:11:14: error: dhcp.subnets[4].range: expected two addresses [first, last], found 1 [wrong-type]",
            "t.yaml:14:7: error: dhcp.reservations[1]: 52:54:00:00:00:01 is already reserved (dhcp.reservations[0]) [conflict]",
            "t.yaml:14:7: error: dhcp.reservations[1]: 10.0.0.50 is already reserved (dhcp.reservations[0]) [conflict]",
        ])
    }

    @Test func authoritativeNeedsASubnetAndReservationsMustFitOne() {
        #expect(lines("dhcp:\n  mode: authoritative\n") ==
            ["t.yaml:2:9: error: dhcp.mode: authoritative mode needs at least one entry in dhcp.subnets [missing-key]"])
        let yaml = "dhcp:\n  subnets: [{subnet: 10.0.0.0/24}]\n  reservations:\n    - { mac: \"52:54:00:00:00:01\", address: 10.9.0.50 }\n"
        #expect(lines(yaml) == ["t.yaml:4:7: error: dhcp.reservations[0]: 10.9.0.50 is in no configured subnet [conflict]"])
    }

    @Test func pxeChecks() {
        let yaml = """
        pxe:
          bios: /abs/undionly.kpxe
          ipxe-script-url: "http://{server}/boot?mac={mak}"
          images:
            - { name: deb, kernel: ../vmlinuz }
            - { name: "a/b", kernel: k }
            - { name: deb2, kernel: k }
            - { name: deb2, kernel: k }
            - { kernel: k }
          default-image: deb3
        """
        #expect(lines(yaml) == [
            "t.yaml:2:9: error: pxe.bios: '/abs/undionly.kpxe' must be a relative path inside the root (no leading '/', no '..') [invalid-value]",
            "t.yaml:3:20: error: pxe.ipxe-script-url: unknown placeholder '{mak}'; known: {server}, {mac}, {ip} (did you mean '{mac}'?) [invalid-value]",
            "t.yaml:5:28: error: pxe.images[0].kernel: '../vmlinuz' must be a relative path inside the root (no leading '/', no '..') [invalid-value]",
            "t.yaml:6:15: error: pxe.images[1].name: 'a/b' must be letters, digits, '.', '_' or '-' (a folder name) [invalid-value]",
            "t.yaml:8:15: error: pxe.images[3].name: image 'deb2' is declared twice [conflict]",
            "t.yaml:9:7: error: pxe.images[4]: missing required key 'name' [missing-key]",
            "t.yaml:10:18: error: pxe.default-image: no image named 'deb3' in pxe.images (did you mean 'deb2'?) [conflict]",
        ])
    }

    @Test func brokenYAMLIsOneLocatedError() {
        let result = NetbootConfiguration.parse("tftp:\n  port: [69\n", file: "t.yaml")
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.ruleID == "yaml-syntax")
        #expect(result.diagnostics.first?.location.line == 3)
        #expect(result.configuration == .defaults)
    }

    @Test func duplicateKeyIsReported() {
        let result = NetbootConfiguration.parse("tftp:\n  port: 69\n  port: 70\n", file: "t.yaml")
        #expect(result.hasErrors)
        #expect(result.diagnostics.first?.ruleID == "duplicate-key")
    }

    @Test func missingFileIsAnError() {
        let result = NetbootConfiguration.load(contentsOf: "/nonexistent/netboot.yaml")
        #expect(result.diagnostics.map(\.description) == ["/nonexistent/netboot.yaml:1:1: error: cannot read file: No such file or directory [io]"])
    }

    @Test func everyErrorAtOnceInFileOrderWithCarets() {
        let yaml = "interfaces: [eth0, 5]\ndhcp:\n  port: 700000\n  mode: prox\nhttp:\n  prot: 80\n  root: images\n"
        let result = NetbootConfiguration.parse(yaml, file: "m.yaml")
        #expect(result.diagnostics.count == 3)
        #expect(result.rendered == [
            "m.yaml:3:9: error: dhcp.port: 700000 is out of range 1-65535 [out-of-range]\n    port: 700000\n          ^",
            "m.yaml:4:9: error: dhcp.mode: 'prox' is not one of proxy, authoritative (did you mean 'proxy'?) [invalid-value]\n    mode: prox\n          ^",
            "m.yaml:6:3: error: unknown key 'http.prot' (did you mean 'http.port'?) [unknown-key]\n    prot: 80\n    ^",
        ])
        // Valid values beside the errors are still read; bad ones keep their defaults.
        #expect(result.configuration.interfaces == ["eth0", "5"])
        #expect(result.configuration.dhcp.port == 67)
    }

    @Test func dhcpAndTFTPCannotShareAUDPPort() {
        #expect(lines("dhcp: { port: 69 }\ntftp:\n  root: images\n") ==
            ["t.yaml:3:3: error: tftp.port: 69 is also dhcp.port (both UDP) [conflict]"])
        #expect(lines("dhcp: { port: 69, enabled: false }\n").isEmpty)
    }

    @Test func httpHeaderLimitsMustAgree() {
        #expect(lines("http:\n  max-request-line: 20000\n") ==
            ["t.yaml:2:21: error: http.max-request-line: 20000 is larger than http.max-header-bytes (16384) [conflict]"])
    }

    @Test func tftpClientClassNeedsAMatcher() {
        #expect(lines("tftp:\n  client-classes:\n    - { max-blksize: 1460 }\n    - { vendor-class: X }\n") == [
            "t.yaml:3:7: error: tftp.client-classes[0]: needs vendor-class, network, path-prefix or path-contains to match clients [missing-key]",
            "t.yaml:4:7: error: tftp.client-classes[1]: missing required key 'max-blksize' [missing-key]",
        ])
    }
}
