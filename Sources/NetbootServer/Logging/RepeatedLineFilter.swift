import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The shell of `RepeatedLineSummary` for the whole process: log calls that name a kind and a
/// source (``kindKey`` and ``sourceKey`` in their metadata) pass through it, and it writes the
/// summaries when their windows end — from a timer, so a summary appears even after the flood
/// stopped — and on ``flush()`` (at shutdown). Lines without those two keys are not touched.
public final class RepeatedLineFilter: Sendable {
    /// Metadata key: what kind of line this is, as a plural noun phrase (`malformed DHCP
    /// datagrams`). Removed from the line before it is written.
    public static let kindKey = "repeat-kind"
    /// Metadata key: where the line's cause came from (a client address). Removed likewise.
    public static let sourceKey = "repeat-source"

    private let core: NIOLockedValueBox<(summary: RepeatedLineSummary, timerArmed: Bool)>
    private let summaryHandler: @Sendable (String) -> any LogHandler
    private let queue = DispatchQueue(label: "netboot.log.repeats")

    /// - Parameter summaryHandler: the handler that writes a summary for a logger label.
    public init(window: Duration = .seconds(10), burst: Int = 5,
                summaryHandler: @escaping @Sendable (String) -> any LogHandler) {
        core = NIOLockedValueBox((RepeatedLineSummary(window: window, burst: burst), false))
        self.summaryHandler = summaryHandler
    }

    /// Whether a line of `kind` from `source`, logged under `label`, is written now.
    func admit(label: String, kind: String, source: String) -> Bool {
        let now = ContinuousClock.now
        let (decision, arm) = core.withLockedValue { state -> (RepeatedLineSummary.Decision, Duration?) in
            let decision = state.summary.lineOffered(.init(label: label, kind: kind, source: source), now: now)
            guard !state.timerArmed, let deadline = state.summary.nextDeadline else { return (decision, nil) }
            state.timerArmed = true
            return (decision, now.duration(to: deadline))
        }
        if let arm { schedule(after: arm) }
        return decision == .write
    }

    /// Writes the summary of every window, finished or not (at shutdown).
    public func flush() {
        let summaries = core.withLockedValue { state in
            state.summary.deadlineReached(now: ContinuousClock.now + state.summary.window)
        }
        write(summaries)
    }

    private func schedule(after delay: Duration) {
        let nanoseconds = max(0, delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: nanoseconds))) { [self] in
            let now = ContinuousClock.now
            let (summaries, next) = core.withLockedValue { state -> ([RepeatedLineSummary.Summary], Duration?) in
                let summaries = state.summary.deadlineReached(now: now)
                guard let deadline = state.summary.nextDeadline else {
                    state.timerArmed = false
                    return (summaries, nil)
                }
                return (summaries, now.duration(to: deadline))
            }
            write(summaries)
            if let next { schedule(after: next) }
        }
    }

    private func write(_ summaries: [RepeatedLineSummary.Summary]) {
        for summary in summaries {
            summaryHandler(summary.key.label).log(event: LogEvent(
                level: .notice, message: "\(summary.message)", metadata: nil, source: "NetbootServer",
                file: #fileID, function: #function, line: #line))
        }
    }
}

/// A swift-log handler in front of another: lines whose metadata names a kind and a source
/// (`RepeatedLineFilter.kindKey`/`sourceKey`) are written only when the filter admits them,
/// without those two keys; every other line goes straight through.
public struct RepeatedLineHandler: LogHandler {
    public let label: String
    public var inner: any LogHandler
    public let filter: RepeatedLineFilter

    public init(label: String, inner: any LogHandler, filter: RepeatedLineFilter) {
        self.label = label
        self.inner = inner
        self.filter = filter
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        guard var metadata = event.metadata, let kind = metadata[RepeatedLineFilter.kindKey],
              let source = metadata[RepeatedLineFilter.sourceKey] else {
            inner.log(event: event)
            return
        }
        metadata[RepeatedLineFilter.kindKey] = nil
        metadata[RepeatedLineFilter.sourceKey] = nil
        guard filter.admit(label: label, kind: kind.description, source: source.description) else { return }
        var event = event
        event.metadata = metadata.isEmpty ? nil : metadata
        inner.log(event: event)
    }
}
