import NIOCore
import Testing

@testable import NetbootServer

/// Admission of TFTP transfers: the per-client cap counts a client's address, whatever its ports.
@Suite struct TFTPTransferRegistryTests {
    func key(_ ip: String, _ port: Int, _ file: String = "f") throws -> TFTPTransferRegistry.Key {
        TFTPTransferRegistry.Key(client: try SocketAddress(ipAddress: ip, port: port), filename: file)
    }

    @Test func oneAddressGetsAtMostItsShareOfTheSlots() throws {
        let registry = TFTPTransferRegistry(maxTransfers: 10, maxTransfersPerClient: 2, maxPendingOpens: 100)
        #expect(registry.admit(try key("198.51.100.2", 1000)) == .admitted)
        #expect(registry.admit(try key("198.51.100.2", 1000)) == .duplicate)
        #expect(registry.admit(try key("198.51.100.2", 1001)) == .admitted)
        #expect(registry.admit(try key("198.51.100.2", 1002)) == .clientBusy)
        #expect(registry.admit(try key("198.51.100.3", 1000)) == .admitted)
        #expect(registry.count(client: "198.51.100.2") == 2)
        registry.release(try key("198.51.100.2", 1000))
        registry.release(try key("198.51.100.2", 1000))  // a second release changes nothing
        #expect(registry.count(client: "198.51.100.2") == 1)
        #expect(registry.admit(try key("198.51.100.2", 1002)) == .admitted)
    }

    @Test func everySlotTakenIsBusyForEveryone() throws {
        let registry = TFTPTransferRegistry(maxTransfers: 2, maxTransfersPerClient: 16, maxPendingOpens: 100)
        #expect(registry.admit(try key("10.0.0.1", 1)) == .admitted)
        #expect(registry.admit(try key("10.0.0.2", 1)) == .admitted)
        #expect(registry.admit(try key("10.0.0.3", 1)) == .busy)
    }
}
