import NetbootWire

/// How a transfer ended. `label` is the metrics dimension and the log line's `outcome=`.
public enum TFTPTransferOutcome: Hashable, Sendable, CustomStringConvertible {
    /// Every block was acknowledged (RRQ), or the last block was received and committed (WRQ).
    case completed
    /// The peer went silent past the retry limit.
    case timedOut
    /// The peer ended the transfer with an ERROR packet (e.g. UEFI firmware's code 8 after
    /// reading tsize from the OACK, which is normal; boot-servers-dhcp-tftp-http.md §1.3).
    case abortedByPeer(TFTPErrorCode, String)
    /// We ended the transfer with an ERROR packet (protocol violation, read or write failure).
    case failed(TFTPErrorCode, String)

    public var label: String {
        switch self {
        case .completed: "completed"
        case .timedOut: "timed_out"
        case .abortedByPeer: "aborted_by_peer"
        case .failed: "failed"
        }
    }

    public var description: String {
        switch self {
        case .completed, .timedOut: label
        case .abortedByPeer(let code, let message): "\(label) (peer ERROR \(code.rawValue) \"\(message)\")"
        case .failed(let code, let message): "\(label) (ERROR \(code.rawValue) \"\(message)\")"
        }
    }
}

/// Counters a transfer keeps for its log line and metrics.
public struct TFTPTransferStatistics: Hashable, Sendable {
    /// Payload bytes the peer acknowledged (RRQ) or we accepted (WRQ).
    public var bytes: UInt64 = 0
    /// DATA (or OACK/ACK) packets sent again after a timeout or a partial window ACK.
    public var retransmits: Int = 0
    /// ACKs (RRQ) or DATA (WRQ) for blocks already handled; never answered by a resend.
    public var duplicates: Int = 0
    /// Packets sent in all.
    public var packetsSent: Int = 0

    public init() {}
}

/// The answer to a packet that arrives at a transfer's port from another address or port
/// (RFC 1350 §4: "If a source TID does not match, the packet should be discarded as erroneously
/// sent from somewhere else. An error packet should be sent to the source of the incorrect
/// packet, while not disturbing the transfer."). The shell sends it to that source.
public enum TFTPForeignTransferID {
    public static let reply = TFTPPacket.error(code: .unknownTransferID, message: "Unknown transfer ID")
}
