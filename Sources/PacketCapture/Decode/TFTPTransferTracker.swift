import NetbootWire

/// One TFTP transfer as a capture sees it (RFC 1350 §4): the client's address and port (its
/// TID) and the server address its request went to. The server answers from a fresh port,
/// learned from its first reply.
public struct TFTPTransferKey: Hashable, Sendable, CustomStringConvertible {
    public var client: IPv4Address
    public var clientPort: UInt16
    public var server: IPv4Address

    public init(client: IPv4Address, clientPort: UInt16, server: IPv4Address) {
        self.client = client
        self.clientPort = clientPort
        self.server = server
    }

    public var description: String { "\(client):\(clientPort)↔\(server)" }
}

/// Recognises TFTP transfers on ephemeral ports by following their requests (RFC 1350 §4:
/// the server's reply comes from a new port to the client's request port). Pure: datagram
/// addresses in, a verdict out. Holds at most ``capacity`` transfers, forgetting the oldest.
public struct TFTPTransferTracker: Sendable {
    /// The well-known request port (69).
    public var requestPort: UInt16
    public let capacity: Int
    private var serverPorts: [TFTPTransferKey: UInt16] = [:]
    private var pending: Set<TFTPTransferKey> = []
    private var order: [TFTPTransferKey] = []

    public init(requestPort: UInt16 = 69, capacity: Int = 4096) {
        self.requestPort = requestPort
        self.capacity = max(1, capacity)
    }

    /// How many transfers are being followed.
    public var count: Int { pending.count + serverPorts.count }

    /// Classifies one UDP datagram: the transfer it belongs to, or nil when it is not TFTP.
    /// A datagram to the request port starts (or restarts) a transfer.
    public mutating func classify(source: IPv4Address, sourcePort: UInt16,
                                  destination: IPv4Address, destinationPort: UInt16) -> TFTPTransferKey? {
        if destinationPort == requestPort {
            let key = TFTPTransferKey(client: source, clientPort: sourcePort, server: destination)
            if serverPorts.removeValue(forKey: key) == nil, !pending.contains(key) {
                order.append(key)
                evict()
            }
            pending.insert(key)
            return key
        }
        let fromServer = TFTPTransferKey(client: destination, clientPort: destinationPort, server: source)
        if pending.contains(fromServer) {
            pending.remove(fromServer)
            serverPorts[fromServer] = sourcePort
            return fromServer
        }
        if let port = serverPorts[fromServer], port == sourcePort { return fromServer }
        let fromClient = TFTPTransferKey(client: source, clientPort: sourcePort, server: destination)
        if let port = serverPorts[fromClient], port == destinationPort { return fromClient }
        if pending.contains(fromClient), destinationPort == requestPort { return fromClient }
        return nil
    }

    private mutating func evict() {
        while order.count > capacity {
            let old = order.removeFirst()
            pending.remove(old)
            serverPorts.removeValue(forKey: old)
        }
        if order.count > 2 * capacity { order = order.filter { pending.contains($0) || serverPorts[$0] != nil } }
    }
}
