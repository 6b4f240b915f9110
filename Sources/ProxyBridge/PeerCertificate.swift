import BridgeCore
import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// The caller named by a client certificate under mutual TLS (docs/bridge.md, "Mutual TLS"):
/// NIOSSL has verified it against `bridge.client-ca` during the handshake; this reads its
/// subject and hands the OU values to ``CertificateRole``.
enum PeerCertificate {
    static func record(of channel: any Channel, now: Date) async -> TokenRecord? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(),
              let der = try? certificate.toDERBytes(),
              let parsed = try? Certificate(derEncoded: der) else { return nil }
        var units: [String] = []
        var commonName: String?
        for rdn in parsed.subject {
            for attribute in rdn {
                switch attribute.type {
                case .RDNAttributeType.organizationalUnitName: units.append(String(describing: attribute.value))
                case .RDNAttributeType.commonName: commonName = String(describing: attribute.value)
                default: break
                }
            }
        }
        return CertificateRole.record(der: der, commonName: commonName, organizationalUnits: units, now: now)
    }
}
