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
              plain-http: true
              certificate: etc/bridge.pem
              private-key: etc/bridge.key
              files-dir: var/files
              max-body-bytes: 4096
              max-header-bytes: 2048
              idle-timeout: 5
              rate-limit: 3
              rate-burst: 4
            """, file: "b.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let b = result.configuration.bridge
        #expect(b.enabled && b.plainHTTP && b.listenAddress == "127.0.0.1" && b.clientPort == 9761 && b.consolePort == 9760)
        #expect(b.certificate == "etc/bridge.pem" && b.privateKey == "etc/bridge.key" && b.filesDir == "var/files")
        #expect(b.maxBodyBytes == 4096 && b.maxHeaderBytes == 2048 && b.idleTimeout == 5 && b.rateLimit == 3 && b.rateBurst == 4)
    }

    @Test func conflictsAreNamedWithTheirPlace() {
        #expect(lines("bridge:\n  client-port: 9000\n  console-port: 9000\n")
                == ["t.yaml:3:17: error: bridge.console-port: 9000 is also bridge.client-port [conflict]"])
        #expect(lines("bridge:\n  certificate: a.pem\n")
                == ["t.yaml:2:16: error: bridge.private-key: needed with bridge.certificate [missing-key]"])
        #expect(lines("bridge:\n  client-prot: 1\n").first?.contains("did you mean 'bridge.client-port'") == true)
    }
}
