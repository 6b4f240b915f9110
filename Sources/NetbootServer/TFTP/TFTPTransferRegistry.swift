import NIOCore
import Synchronization

/// Admission control shared by the listener and every transfer's event loop: at most
/// `maxTransfers` transfers and `maxPendingOpens` file opens at once, one transfer per
/// (client endpoint, file name), and the channels to close on shutdown.
final class TFTPTransferRegistry: Sendable {
    struct Key: Hashable, Sendable {
        var client: SocketAddress
        var filename: String
    }

    enum Admission: Equatable {
        case admitted
        case duplicate
        case busy
        case overloaded
    }

    private struct State {
        var transfers: [Key: (any Channel)?] = [:]
        var pendingOpens = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let maxTransfers: Int
    private let maxPendingOpens: Int

    init(maxTransfers: Int, maxPendingOpens: Int) {
        self.maxTransfers = maxTransfers
        self.maxPendingOpens = maxPendingOpens
    }

    /// Reserves a slot for a request whose file is about to be opened.
    func admit(_ key: Key) -> Admission {
        state.withLock { state in
            if state.transfers[key] != nil { return .duplicate }
            if state.closed || state.transfers.count >= maxTransfers { return .busy }
            if state.pendingOpens >= maxPendingOpens { return .overloaded }
            state.pendingOpens += 1
            state.transfers[key] = .some(nil)
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
        _ = state.withLock { $0.transfers.removeValue(forKey: key) }
    }

    var count: Int { state.withLock { $0.transfers.count } }

    /// Refuses new transfers and returns the channels of the running ones.
    func closeAll() -> [any Channel] {
        state.withLock { state in
            state.closed = true
            return state.transfers.values.compactMap { $0 }
        }
    }
}
