import Foundation
import Testing
@testable import ProxyBridge

@Suite struct BridgeCertificateTests {
    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-cert-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func selfSignedPairIsMadeOnceKeptPrivateAndReused() throws {
        try withDirectory { directory in
            let first = try BridgeCertificate.load(certificate: "", privateKey: "", stateDirectory: directory)
            #expect(first.generated)
            #expect(first.fingerprint.split(separator: ":").count == 32)
            for file in [BridgeCertificate.certificateFile, BridgeCertificate.keyFile] {
                let mode = try FileManager.default.attributesOfItem(atPath: directory + "/" + file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file)")
            }
            let second = try BridgeCertificate.load(certificate: "", privateKey: "", stateDirectory: directory)
            #expect(!second.generated)
            #expect(second.fingerprint == first.fingerprint)
        }
    }

    @Test func configuredPairIsUsedAndBadFilesAreNamed() throws {
        try withDirectory { directory in
            let made = try BridgeCertificate.load(certificate: "", privateKey: "", stateDirectory: directory)
            let loaded = try BridgeCertificate.load(certificate: directory + "/" + BridgeCertificate.certificateFile,
                                                    privateKey: directory + "/" + BridgeCertificate.keyFile,
                                                    stateDirectory: directory + "/other")
            #expect(!loaded.generated && loaded.fingerprint == made.fingerprint)
            #expect(!FileManager.default.fileExists(atPath: directory + "/other"))
            #expect(throws: BridgeCertificate.LoadError.self) {
                try BridgeCertificate.load(certificate: directory + "/missing.pem", privateKey: directory + "/k.pem", stateDirectory: directory)
            }
        }
    }
}
