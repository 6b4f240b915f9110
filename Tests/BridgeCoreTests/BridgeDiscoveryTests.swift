import Foundation
import Testing
@testable import BridgeCore

@Suite struct BridgeDiscoveryTests {
    let discovery = BridgeDiscovery(clientPort: 8761, consolePort: 8760, scheme: "https", fingerprint: "AB:CD")

    @Test func urlAndBootValues() {
        #expect(discovery.url(host: "10.0.0.1") == "https://10.0.0.1:8761")
        #expect(discovery.url(host: "fe80::1") == "https://[fe80::1]:8761")
        #expect(discovery.ipxeVariables(host: "10.0.0.1").map { "\($0.name)=\($0.value)" }
                == ["netboot-bridge=https://10.0.0.1:8761", "netboot-bridge-fingerprint=AB:CD"])
        #expect(discovery.kernelArguments(host: "10.0.0.1") == ["netboot.bridge=https://10.0.0.1:8761", "netboot.bridge_fp=AB:CD"])
        let plain = BridgeDiscovery(clientPort: 9, consolePort: 8, scheme: "http", fingerprint: nil)
        #expect(plain.kernelArguments(host: "h") == ["netboot.bridge=http://h:9"])
    }

    @Test func zoneRecords() {
        #expect(discovery.zoneRecords(instance: "lab bridge.1", host: "boot.lab.example", domain: "lab.example") == """
            ; netboot bridge discovery (docs/bridge.md): add to the zone of lab.example.
            _netboot-bridge._tcp.lab.example. 3600 IN PTR lab\\ bridge\\.1._netboot-bridge._tcp.lab.example.
            lab\\ bridge\\.1._netboot-bridge._tcp.lab.example. 3600 IN SRV 0 0 8761 boot.lab.example.
            lab\\ bridge\\.1._netboot-bridge._tcp.lab.example. 3600 IN TXT "txtvers=1" "scheme=https" "console=8760" "sha256=AB:CD"

            """)
    }

    @Test func fingerprintOfAPEMCertificate() {
        // The DER here is the three bytes "abc": SHA-256 known answer.
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nYWJj\n-----END CERTIFICATE-----\n"
        #expect(BridgeDiscovery.fingerprint(pem: pem) == "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD")
        #expect(BridgeDiscovery.fingerprint(pem: "no certificate") == nil)
        #expect(BridgeDiscovery.fingerprint(pem: "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----") == nil)
    }
}
