import Foundation
import Logging
import Testing
@testable import NetbootServer

/// The summariser of repeated log lines (issue 14 item 5): a junk flood must not push the
/// start-up lines out of the log.
@Suite struct RepeatedLineSummaryTests {
    typealias Key = RepeatedLineSummary.Key
    let t0 = ContinuousClock.now
    let junk = Key(label: "netboot.dhcp", kind: "malformed DHCP datagrams", source: "10.99.0.2")

    @Test func writesABurstThenCountsAndSummarisesAtTheWindowEnd() {
        var summary = RepeatedLineSummary(window: .seconds(10), burst: 3)
        let decisions = (0..<41_236).map { summary.lineOffered(junk, now: t0 + .milliseconds($0 / 10)) }
        #expect(decisions.prefix(3).allSatisfy { $0 == .write })
        #expect(decisions.dropFirst(3).allSatisfy { $0 == .suppress })
        #expect(summary.nextDeadline == t0 + .seconds(10))
        #expect(summary.deadlineReached(now: t0 + .seconds(9)).isEmpty)
        let summaries = summary.deadlineReached(now: t0 + .seconds(10))
        #expect(summaries == [.init(key: junk, count: 41_233, seconds: 10)])
        #expect(summaries.first?.message == "… 41,233 more malformed DHCP datagrams from 10.99.0.2 in the last 10 s")
    }

    @Test func aContinuingFloodGivesOneSummaryPerWindowAndNoLines() {
        var summary = RepeatedLineSummary(window: .seconds(10), burst: 2)
        for i in 0..<5 { _ = summary.lineOffered(junk, now: t0 + .milliseconds(i)) }
        #expect(summary.deadlineReached(now: t0 + .seconds(10)).map(\.count) == [3])
        // Next window: still flooding, nothing written.
        #expect(summary.lineOffered(junk, now: t0 + .seconds(11)) == .suppress)
        #expect(summary.lineOffered(junk, now: t0 + .seconds(12)) == .suppress)
        #expect(summary.nextDeadline == t0 + .seconds(20))
        #expect(summary.deadlineReached(now: t0 + .seconds(20)).map(\.count) == [2])
        // A quiet window forgets the key; the next line is written again.
        #expect(summary.deadlineReached(now: t0 + .seconds(30)).isEmpty)
        #expect(summary.trackedKeys == 0)
        #expect(summary.nextDeadline == nil)
        #expect(summary.lineOffered(junk, now: t0 + .seconds(31)) == .write)
    }

    @Test func aFewLinesAreAllWrittenAndNeedNoSummary() {
        var summary = RepeatedLineSummary(window: .seconds(10), burst: 5)
        for i in 0..<5 { #expect(summary.lineOffered(junk, now: t0 + .seconds(i)) == .write) }
        #expect(summary.deadlineReached(now: t0 + .seconds(10)).isEmpty)
        #expect(summary.trackedKeys == 0)
    }

    @Test func sourcesKindsAndLabelsAreCountedApart() {
        var summary = RepeatedLineSummary(window: .seconds(10), burst: 1)
        let other = Key(label: junk.label, kind: junk.kind, source: "10.99.0.3")
        let tftp = Key(label: "netboot.tftp", kind: "malformed TFTP datagrams", source: junk.source)
        for key in [junk, other, tftp] {
            #expect(summary.lineOffered(key, now: t0) == .write)
            #expect(summary.lineOffered(key, now: t0) == .suppress)
        }
        #expect(summary.lineOffered(other, now: t0) == .suppress)
        let counts = summary.deadlineReached(now: t0 + .seconds(10)).map { "\($0.key.source) \($0.key.kind) \($0.count)" }
        #expect(counts == ["10.99.0.2 malformed DHCP datagrams 1", "10.99.0.3 malformed DHCP datagrams 2",
                           "10.99.0.2 malformed TFTP datagrams 1"])
    }

    /// Spoofed sources cannot grow the state without bound: past `maxKeys` they share one key.
    @Test func manySourcesShareOneKeyPastTheLimit() {
        var summary = RepeatedLineSummary(window: .seconds(10), burst: 1, maxKeys: 4)
        var written = 0
        for i in 0..<1000 {
            let key = Key(label: junk.label, kind: junk.kind, source: "10.99.\(i / 256).\(i % 256)")
            if summary.lineOffered(key, now: t0) == .write { written += 1 }
        }
        #expect(summary.trackedKeys == 5)
        #expect(written == 5)
        let shared = summary.deadlineReached(now: t0 + .seconds(10)).filter { $0.key.source == RepeatedLineSummary.severalSources }
        #expect(shared.map(\.count) == [995])
        #expect(shared.first?.message == "… 995 more malformed DHCP datagrams from several sources in the last 10 s")
    }

    @Test func secondsAreTheWindowsRealLengthWhenTheDeadlineIsLate() {
        var summary = RepeatedLineSummary(window: .seconds(10), burst: 1)
        _ = summary.lineOffered(junk, now: t0)
        _ = summary.lineOffered(junk, now: t0 + .seconds(1))
        #expect(summary.deadlineReached(now: t0 + .milliseconds(12_400)).map(\.seconds) == [12])
    }

    @Test func groupsThousands() {
        #expect(RepeatedLineSummary.Summary.grouped(0) == "0")
        #expect(RepeatedLineSummary.Summary.grouped(999) == "999")
        #expect(RepeatedLineSummary.Summary.grouped(1000) == "1,000")
        #expect(RepeatedLineSummary.Summary.grouped(1_234_567) == "1,234,567")
    }

    /// The handler shell: marked lines are filtered and lose their two marker keys; others pass.
    @Test func handlerFiltersOnlyMarkedLinesAndFlushWritesTheSummary() {
        let lines = LineCollector()
        let filter = RepeatedLineFilter(window: .seconds(60), burst: 2) { label in lines.handler(label) }
        let logger = Logger(label: "netboot.dhcp") { label in
            RepeatedLineHandler(label: label, inner: lines.handler(label), filter: filter)
        }
        for _ in 0..<10 {
            logger.notice("junk", metadata: [RepeatedLineFilter.kindKey: "malformed DHCP datagrams",
                                             RepeatedLineFilter.sourceKey: "10.99.0.2", "interface": "eth0"])
            logger.info("started")
        }
        #expect(lines.all.filter { $0 == "junk interface=eth0" }.count == 2)
        #expect(lines.all.filter { $0 == "started" }.count == 10)
        filter.flush()
        #expect(lines.all.last == "… 8 more malformed DHCP datagrams from 10.99.0.2 in the last 60 s")
    }
}

/// Collects the messages (and metadata) of the handlers it makes.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }

    func handler(_ label: String) -> any LogHandler { Handler(collector: self) }

    struct Handler: LogHandler {
        let collector: LineCollector
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let extra = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
            collector.lock.withLock { collector.lines.append("\(event.message)\(extra)") }
        }
    }
}
