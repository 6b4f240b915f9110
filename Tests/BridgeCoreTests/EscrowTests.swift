import BridgeCore
import Foundation
import Testing

/// Escrowed secrets (seed-catalog C32, P16, P29): what a machine may send, sealing that only the
/// same key, device and kind open, and who may read them back.
@Suite struct EscrowTests {
    let secret = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX"

    @Test func decodesKindAndSecretAndNamesBadFieldsWithoutTheSecret() throws {
        let request = try EscrowRequest.decode(Data(#"{"kind": "filevault-recovery-key", "secret": "\#(secret)"}"#.utf8))
        #expect(request == EscrowRequest(kind: "filevault-recovery-key", secret: secret))
        let bad: [(String, String)] = [
            (#"{"kind": "filevault-recovery-key"}"#, "secret"), (#"{"secret": "\#(secret)"}"#, "kind"),
            (#"{"kind": "File Vault", "secret": "\#(secret)"}"#, "kind"), (#"{"kind": "k", "secret": ""}"#, "secret"),
            (#"{"kind": "k", "secret": "\#(secret)", "note": 1}"#, "note"), (#"{"kind": "k", "secret": ["\#(secret)"]}"#, "secret"),
            (#"{"kind": "k", "secret": "\#(String(repeating: "x", count: 4097))"}"#, "secret"),
        ]
        for (body, field) in bad {
            #expect(throws: RequestBodyError.self) { try EscrowRequest.decode(Data(body.utf8)) }
            do {
                _ = try EscrowRequest.decode(Data(body.utf8))
            } catch {
                #expect(error.field == field, "\(body)")
                #expect(!error.description.contains(secret))
            }
        }
    }

    @Test func aSealedSecretOpensOnlyWithItsKeyDeviceAndKind() throws {
        let seal = try #require(EscrowSeal(key: EscrowSeal.newKey()))
        let sealed = try seal.seal(secret, mac: "02:00:00:00:00:01", kind: "filevault-recovery-key")
        #expect(sealed.range(of: Data(secret.utf8)) == nil)
        #expect(seal.open(sealed, mac: "02:00:00:00:00:01", kind: "filevault-recovery-key") == secret)
        // Fresh nonce each time: the same secret never seals to the same bytes.
        #expect(try seal.seal(secret, mac: "02:00:00:00:00:01", kind: "filevault-recovery-key") != sealed)
        #expect(seal.open(sealed, mac: "02:00:00:00:00:02", kind: "filevault-recovery-key") == nil)
        #expect(seal.open(sealed, mac: "02:00:00:00:00:01", kind: "firmware-password") == nil)
        let other = try #require(EscrowSeal(key: EscrowSeal.newKey()))
        #expect(other.open(sealed, mac: "02:00:00:00:00:01", kind: "filevault-recovery-key") == nil)
        var tampered = sealed
        tampered[tampered.count / 2] ^= 1
        #expect(seal.open(tampered, mac: "02:00:00:00:00:01", kind: "filevault-recovery-key") == nil)
        #expect(seal.open(Data([1, 2, 3]), mac: "02:00:00:00:00:01", kind: "filevault-recovery-key") == nil)
        #expect(EscrowSeal(key: Data(count: 16)) == nil)
    }

    @Test func onlyKeyAdministratorsAndAdministratorsReadAndOnlyMachinesEscrow() {
        let readers = BridgeRole.allCases.filter { $0.scopes.contains(.escrowRead) }
        #expect(Set(readers) == [.keyAdministrators, .administrator])
        let writers = BridgeRole.allCases.filter { $0.scopes.contains(.escrowWrite) }
        #expect(writers == [.client])
        #expect(!BridgeScope.escrowWrite.isConsole && BridgeScope.escrowRead.isConsole)
    }
}
