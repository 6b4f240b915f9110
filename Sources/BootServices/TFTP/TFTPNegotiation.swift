import NetbootWire

/// The options a transfer runs with, and the OACK that announces them (RFC 2347).
public struct TFTPNegotiatedOptions: Hashable, Sendable, CustomStringConvertible {
    public var blockSize: Int = TFTPLimits.defaultBlockSize
    public var windowSize: Int = 1
    /// The timeout the client asked for, in seconds (RFC 2349), if accepted.
    public var timeoutSeconds: Int?
    /// The transfer size: the file's (RRQ) or the client's announcement (WRQ), if negotiated.
    public var transferSize: UInt64?
    /// The accepted options in request order, as the OACK carries them; empty means no OACK.
    public var acknowledged: [TFTPOption] = []

    public init() {}

    public var description: String {
        var parts = ["blksize=\(blockSize)", "windowsize=\(windowSize)"]
        if let timeoutSeconds { parts.append("timeout=\(timeoutSeconds)") }
        if let transferSize { parts.append("tsize=\(transferSize)") }
        return parts.joined(separator: " ")
    }
}

/// Option negotiation (RFC 2347 §3 with 2348, 2349, 7440). Pure.
///
/// Each known option is accepted at most once (the first instance wins). A value that does not
/// parse or is out of its RFC range is ignored — left out of the OACK, as RFC 2347 allows for
/// options the server does not accept — and the transfer runs with the default. blksize and
/// windowsize above the client's limits are lowered to the limit (RFC 2348: the server "may"
/// answer with a smaller value). Unknown options are ignored.
public enum TFTPNegotiation {
    /// What the request is for: reading a file of a known size, or writing one.
    public enum Direction: Hashable, Sendable {
        case read(size: UInt64)
        case write
    }

    public static func negotiate(_ options: [TFTPOption], direction: Direction,
                                 limits: TFTPOptionLimits) -> TFTPNegotiatedOptions {
        var result = TFTPNegotiatedOptions()
        var seen = Set<String>()
        for option in options {
            let key = option.key
            guard !seen.contains(key) else { continue }
            guard let value = TFTPOption.decimalValue(option.value) else { continue }
            switch key {
            case TFTPOption.blockSize:
                guard value >= UInt64(TFTPLimits.blockSize.lowerBound),
                      value <= UInt64(TFTPLimits.blockSize.upperBound) else { continue }
                result.blockSize = min(Int(value), limits.maxBlockSize)
                result.acknowledged.append(TFTPOption(TFTPOption.blockSize, String(result.blockSize)))
            case TFTPOption.windowSize:
                guard value >= UInt64(TFTPLimits.windowSize.lowerBound),
                      value <= UInt64(TFTPLimits.windowSize.upperBound) else { continue }
                result.windowSize = min(Int(value), limits.maxWindowSize)
                result.acknowledged.append(TFTPOption(TFTPOption.windowSize, String(result.windowSize)))
            case TFTPOption.timeout:
                guard value >= UInt64(TFTPLimits.timeout.lowerBound),
                      value <= UInt64(TFTPLimits.timeout.upperBound) else { continue }
                result.timeoutSeconds = Int(value)
                result.acknowledged.append(TFTPOption(TFTPOption.timeout, String(value)))
            case TFTPOption.transferSize:
                // RFC 2349: in an RRQ the client sends 0 and the server answers with the size;
                // in a WRQ the client announces the size and the server echoes it.
                let size: UInt64
                switch direction {
                case .read(let fileSize):
                    // curl (7.88) aborts on "tsize 0" in an OACK ("invalid tsize"), so an empty
                    // file's size is left out, as RFC 2349 lets a server do.
                    guard fileSize > 0 else { continue }
                    size = fileSize
                case .write:
                    size = value
                }
                result.transferSize = size
                result.acknowledged.append(TFTPOption(TFTPOption.transferSize, String(size)))
            default:
                continue
            }
            seen.insert(key)
        }
        return result
    }
}
