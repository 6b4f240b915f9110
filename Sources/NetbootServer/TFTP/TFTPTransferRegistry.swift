import NIOCore
import Synchronization

/// Admission control shared by the listener and every transfer's event loop: at most
/// `maxTransfers` transfers, `maxTransfersPerClient` of them from one client address (so one
/// host flooding read requests it never acknowledges cannot take every slot), and
/// `maxPendingOpens` file opens at once; one transfer per (client endpoint, file name); and the
/// channels to close on shutdown.
final class TFTPTransferRegistry: Sendable {
    struct Key: Hashable, Sendable {
        var client: SocketAddress
        var filename: String

        /// The client's address without its port: what the per-client limit counts.
        var host: String { client.ipAddress ?? "\(client)" }
    }

    enum Admission: Equatable {
        case admitted
        case duplicate
        /// Every transfer slot is taken.
        case busy
        /// The client's address holds `maxTransfersPerClient` transfers already.
        case clientBusy
        case overloaded
    }

    private struct State {
        var transfers: [Key: (any Channel)?] = [:]
        /// Transfers per client address (the key's IP without its port).
        var perClient: [String: Int] = [:]
        var pendingOpens = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let maxTransfers: Int
    private let maxTransfersPerClient: Int
    private let maxPendingOpens: Int

    init(maxTransfers: Int, maxTransfersPerClient: Int, maxPendingOpens: Int) {
        self.maxTransfers = maxTransfers
        self.maxTransfersPerClient = maxTransfersPerClient
        self.maxPendingOpens = maxPendingOpens
    }

    /// Reserves a slot for a request whose file is about to be opened.
    func admit(_ key: Key) -> Admission {
        state.withLock { state in
            if state.transfers[key] != nil { return .duplicate }
            if state.closed || state.transfers.count >= maxTransfers { return .busy }
            let host = key.host
            if state.perClient[host, default: 0] >= maxTransfersPerClient { return .clientBusy }
            if state.pendingOpens >= maxPendingOpens { return .overloaded }
            state.pendingOpens += 1
            state.transfers[key] = .some(nil)
            state.perClient[host, default: 0] += 1
            return .admitted
        }
    }

    /// The file is open (or failed): the request no longer counts as a pending open.
    func opened(_ key: Key) {
        state.withLock { $0.pendingOpens = max(0, $0.pendingOpens - 1) }
    }

    /// Records the transfer's channel, so shutdown can close it. Returns false when the
    /// service is shutting down (the caller closes the channel itself).
    func attach(_ key: Key, channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.closed, state.transfers[key] != nil else { return false }
            state.transfers[key] = .some(channel)
            return true
        }
    }

    func release(_ key: Key) {
        state.withLock { state in
            guard state.transfers.removeValue(forKey: key) != nil else { return }
            let host = key.host
            let left = state.perClient[host, default: 1] - 1
            state.perClient[host] = left > 0 ? left : nil
        }
    }

    /// Transfers held by one client address.
    func count(client host: String) -> Int { state.withLock { $0.perClient[host, default: 0] } }

    var count: Int { state.withLock { $0.transfers.count } }

    /// Refuses new transfers and returns the channels of the running ones.
    func closeAll() -> [any Channel] {
        state.withLock { state in
            state.closed = true
            return state.transfers.values.compactMap { $0 }
        }
    }
}
