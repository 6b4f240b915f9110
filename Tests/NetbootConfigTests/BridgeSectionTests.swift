import Testing
@testable import NetbootConfig

/// `bridge:` (docs/bridge.md): off by default, ports, TLS pair, limits.
@Suite struct BridgeSectionTests {
    @Test func offByDefaultOnTheSeedsPorts() {
        let bridge = NetbootConfiguration.defaults.bridge
        #expect(!bridge.enabled && !bridge.plainHTTP)
        #expect(bridge.clientPort == 8761 && bridge.consolePort == 8760)
        #expect(bridge.certificate.isEmpty && bridge.privateKey.isEmpty)
    }

    @Test func readsEveryKey() {
        let result = NetbootConfiguration.parse("""
            bridge:
              enabled: true
              listen-address: 127.0.0.1
              client-port: 9761
              console-port: 9760
              plain-http: false
              certificate: etc/bridge.pem
              private-key: etc/bridge.key
              files-dir: var/files
              max-body-bytes: 4096
              max-header-bytes: 2048
              idle-timeout: 5
              request-timeout: 3
              client-ca: etc/ca.pem
              upstream: https://mgmt.example/events
              upstream-ca: etc/up-ca.pem
              upstream-timeout: 4
              upstream-retry-max: 60
              rate-limit: 3
              rate-burst: 4
            """, file: "b.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let b = result.configuration.bridge
        #expect(b.enabled && !b.plainHTTP && b.listenAddress == "127.0.0.1" && b.clientPort == 9761 && b.consolePort == 9760)
        #expect(b.certificate == "etc/bridge.pem" && b.privateKey == "etc/bridge.key" && b.filesDir == "var/files")
        #expect(b.maxBodyBytes == 4096 && b.maxHeaderBytes == 2048 && b.idleTimeout == 5 && b.rateLimit == 3 && b.rateBurst == 4)
        #expect(b.requestTimeout == 3 && b.clientCA == "etc/ca.pem" && b.upstream == "https://mgmt.example/events")
        #expect(b.upstreamCA == "etc/up-ca.pem" && b.upstreamTimeout == 4 && b.upstreamRetryMax == 60)
    }

    @Test func conflictsAreNamedWithTheirPlace() {
        #expect(lines("bridge:\n  client-port: 9000\n  console-port: 9000\n")
                == ["t.yaml:3:17: error: bridge.console-port: 9000 is also bridge.client-port [conflict]"])
        #expect(lines("bridge:\n  certificate: a.pem\n")
                == ["t.yaml:2:16: error: bridge.private-key: needed with bridge.certificate [missing-key]"])
        #expect(lines("bridge:\n  client-prot: 1\n").first?.contains("did you mean 'bridge.client-port'") == true)
        #expect(lines("bridge:\n  upstream: http://plain.example/\n")
                == ["t.yaml:2:13: error: bridge.upstream: expected an https:// URL or \"\", found 'http://plain.example/' [invalid-value]"])
        #expect(lines("bridge:\n  plain-http: true\n  client-ca: ca.pem\n")
                == ["t.yaml:3:14: error: bridge.client-ca: mutual TLS needs TLS (bridge.plain-http is true) [conflict]"])
    }
}
