import Crypto
import Foundation
import Logging
import NIOSSL
import SwiftASN1
import X509

/// The bridge's TLS identity (seed-catalog C31: the Proxy has its own certificate): the PEM pair
/// named in `bridge.certificate`/`bridge.private-key`, or else a self-signed P-256 pair made on
/// first start and kept in the state directory (`bridge-cert.pem`, `bridge-key.pem`, 0600), so
/// its fingerprint stays the same across restarts and clients can pin it.
public struct BridgeCertificate: Sendable {
    public static let certificateFile = "bridge-cert.pem"
    public static let keyFile = "bridge-key.pem"

    public var chain: [NIOSSLCertificate]
    public var key: NIOSSLPrivateKey
    /// SHA-256 of the leaf's DER, uppercase hex pairs joined by `:` (as `openssl x509 -fingerprint -sha256`).
    public var fingerprint: String
    /// Whether this start made the pair.
    public var generated: Bool

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads the configured pair, or the kept self-signed one, or makes and keeps a new one.
    public static func load(certificate: String, privateKey: String, stateDirectory: String, now: Date = Date()) throws -> BridgeCertificate {
        if !certificate.isEmpty {
            return try read(certificate: certificate, key: privateKey, generated: false)
        }
        let certificatePath = (stateDirectory as NSString).appendingPathComponent(certificateFile)
        let keyPath = (stateDirectory as NSString).appendingPathComponent(keyFile)
        if FileManager.default.fileExists(atPath: certificatePath), FileManager.default.fileExists(atPath: keyPath) {
            return try read(certificate: certificatePath, key: keyPath, generated: false)
        }
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let (certificatePEM, keyPEM) = try selfSigned(now: now)
        try write(keyPEM, to: keyPath)
        try write(certificatePEM, to: certificatePath)
        return try read(certificate: certificatePath, key: keyPath, generated: true)
    }

    /// A new self-signed P-256 certificate for `netboot bridge`, valid ten years, for the host
    /// name, `localhost`, 127.0.0.1 and ::1.
    static func selfSigned(now: Date) throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let host = ProcessInfo.processInfo.hostName
        let name = try DistinguishedName {
            CommonName("netboot bridge \(host)")
            OrganizationName("netboot")
        }
        var names: [GeneralName] = [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                                    .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1])))]
        if !host.isEmpty, host != "localhost" { names.insert(.dnsName(host), at: 0) }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(key))
        return (try certificate.serializeAsPEM().pemString + "\n", key.pemRepresentation + "\n")
    }

    static func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw LoadError(description: "cannot create \(path): errno \(errno)") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw LoadError(description: "cannot write \(path)") }
    }

    static func read(certificate: String, key: String, generated: Bool) throws -> BridgeCertificate {
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw LoadError(description: "bridge certificate \(certificate): \(error)")
        }
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw LoadError(description: "bridge private key \(key): cannot read it as PEM")
        }
        guard let leaf = chain.first else { throw LoadError(description: "bridge certificate \(certificate): no certificate in it") }
        let der = try leaf.toDERBytes()
        return BridgeCertificate(chain: chain, key: privateKey, fingerprint: fingerprint(der: der), generated: generated)
    }

    public static func fingerprint(der: [UInt8]) -> String {
        SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// The server configuration for both ports. With `clientCA` (PEM file), a client may
    /// present a certificate; one that does not verify against it fails the handshake.
    public func serverConfiguration(clientCA: String = "") throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if !clientCA.isEmpty {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(clientCA)
            } catch {
                throw LoadError(description: "bridge client CA \(clientCA): \(error)")
            }
            guard !roots.isEmpty else { throw LoadError(description: "bridge client CA \(clientCA): no certificate in it") }
            configuration.trustRoots = .certificates(roots)
            configuration.certificateVerification = .optionalVerification
            configuration.sendCANameList = true
        }
        return configuration
    }
}
