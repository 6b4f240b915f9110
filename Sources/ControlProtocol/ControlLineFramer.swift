/// Splits a connection's bytes into request lines (`\n`-terminated; a `\r` before it is
/// dropped), holding at most `limit` bytes of an unfinished line. Pure; the socket shell feeds
/// it every read.
public struct ControlLineFramer: Sendable {
    /// What one feed produced.
    public enum Frame: Hashable, Sendable {
        /// A whole line, without its terminator.
        case line([UInt8])
        /// A line grew past the limit: answer `too-large` and close; nothing follows.
        case overflow
    }

    public let limit: Int
    private var pending: [UInt8] = []
    private var overflowed = false

    public init(limit: Int = ControlProtocol.maxRequestBytes) {
        self.limit = max(1, limit)
    }

    /// The lines completed by `bytes`, in order; after an `.overflow` every feed returns nothing.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Frame] {
        guard !overflowed else { return [] }
        var frames: [Frame] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                frames.append(.line(pending))
                pending.removeAll(keepingCapacity: true)
            } else {
                // One byte of slack for a `\r` before the newline.
                guard pending.count < limit + 1 else {
                    overflowed = true
                    pending = []
                    frames.append(.overflow)
                    return frames
                }
                pending.append(byte)
            }
        }
        return frames
    }

    /// Bytes of an unfinished line held.
    public var pendingCount: Int { pending.count }
}
