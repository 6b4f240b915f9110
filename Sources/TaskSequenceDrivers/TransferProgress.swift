/// Progress of an image transfer as bytes, rate and ETA (issue 16 §4; FOG reports progress
/// best-effort, engines §0.9). Pure: time comes in as `now` (seconds).
public struct TransferProgress: Sendable, Equatable {
    public var startedAt: Double
    /// Source bytes read (compressed) and their total, when known.
    public var sourceRead: Int = 0
    public var sourceTotal: Int?
    /// Raw bytes written to the target (zeros skipped count as written).
    public var written: Int = 0

    public init(startedAt: Double, sourceTotal: Int?) {
        self.startedAt = startedAt
        self.sourceTotal = sourceTotal
    }

    /// Raw bytes per second so far.
    public func rate(now: Double) -> Double {
        let elapsed = now - startedAt
        return elapsed > 0 ? Double(written) / elapsed : 0
    }

    /// Seconds left, from the share of the source read so far; nil when the total is unknown.
    public func eta(now: Double) -> Double? {
        guard let total = sourceTotal, total > 0, sourceRead > 0 else { return nil }
        let elapsed = now - startedAt
        let fraction = Double(sourceRead) / Double(total)
        return max(0, elapsed / fraction - elapsed)
    }

    /// `written 512.0 MiB (source 40 %), 210.3 MiB/s, ETA 3 s`.
    public func line(now: Double) -> String {
        var text = "written \(Self.mebibytes(written))"
        if let total = sourceTotal, total > 0 { text += " (source \(Int(Double(sourceRead) * 100 / Double(total))) %)" }
        text += ", \(Self.mebibytes(Int(rate(now: now))))/s"
        if let eta = eta(now: now) { text += ", ETA \(Int(eta.rounded())) s" }
        return text
    }

    static func mebibytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
