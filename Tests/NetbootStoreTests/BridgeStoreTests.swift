import BridgeCore
import Foundation
import NetbootWire
import Testing
@testable import NetbootStore

/// What only the embedded bridge store promises, against real files: token digests only and
/// mode 0600 on disk, every commit synced. The behaviour both backends share is
/// `BridgeRecordsContractTests`.
@Suite struct BridgeStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func withStore(_ body: (BridgeStore, String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-bridge-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(try BridgeStore(stateDirectory: directory), directory)
    }

    @Test func tokensAreStoredOnlyAsDigests() throws {
        try withStore { store, directory in
            let (token, record) = try store.issueToken(role: .administrator, label: "ops", ttl: 3600, now: t0)
            #expect(try store.token(digest: token.digest) == record)
            #expect(record.expiresAt == t0 + 3600)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
                + ((try? Data(contentsOf: URL(fileURLWithPath: store.path + "-wal"))) ?? Data())
            #expect(bytes.range(of: Data(token.text.utf8)) == nil)
            #expect(bytes.range(of: Data(token.digest.hex.utf8)) != nil)
            for file in [store.path, store.path + "-wal"] {
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file)")
            }
            _ = directory
        }
    }

    /// A 202 promises the report survives a power loss: the connection that commits syncs each
    /// commit (GRDB's pool would leave it at NORMAL, which syncs only at checkpoints).
    @Test func commitsAreSynchronousFull() throws {
        try withStore { store, _ in
            let (level, mode) = (try store.writerSynchronousLevel(), try store.journalMode())
            #expect(level == 2)
            #expect(mode == "wal")
        }
    }
}
