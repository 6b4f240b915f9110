import Foundation
import Synchronization
import Testing
@testable import NetbootServer

/// The bulk threads' priority (issue 21): the HTTP event loops run `http.nice-offset` nicer than
/// the appliance's other threads while `netboot serve` keeps the priorities, so DHCP and TFTP
/// answer ahead of the image traffic. `Tests/Integration/test_serve_threads.py` checks the threads
/// of a running appliance.
@Suite(.serialized) struct ProcessPriorityTests {
    /// The calling thread's nice value: field 19 of /proc/thread-self/stat.
    static func currentNice() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let tail = stat.split(separator: ")").last else { return nil }
        let fields = tail.split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    @Test func aBulkThreadRunsItsOffsetAboveTheBaseWithinTheNiceRange() {
        #expect(ProcessPriority.target(base: -10, offset: 5) == -5)
        #expect(ProcessPriority.target(base: 0, offset: 0) == 0)
        #expect(ProcessPriority.target(base: 17, offset: 5) == 19)
        #expect(ProcessPriority.target(base: -10, offset: -3) == -10)  // never above the rest
    }

    @Test func aMarkedThreadMovesAtOnceAndTheKeepersPassKeepsItThere() async throws {
        let base = try #require(Self.currentNice())
        ProcessPriority.state.withLock { $0.base = base }
        defer { ProcessPriority.state.withLock { $0 = ProcessPriority.State() } }
        let (marked, kept) = await withCheckedContinuation { (continuation: CheckedContinuation<(Int?, Int?), Never>) in
            Thread {
                ProcessPriority.markBulk(name: "test-bulk", offset: 3)
                let marked = Self.currentNice()
                _ = ProcessPriority.apply()  // what `maintain`'s keeper does every 2 s
                let kept = Self.currentNice()
                ProcessPriority.unmarkBulk()
                continuation.resume(returning: (marked, kept))
            }.start()
        }
        #expect(marked == base + 3)
        #expect(kept == base + 3)
    }

    @Test func withoutMaintainedPrioritiesAMarkedThreadKeepsItsNice() async throws {
        let base = try #require(Self.currentNice())
        ProcessPriority.state.withLock { $0 = ProcessPriority.State() }  // `netboot http-serve`: no keeper
        let marked = await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
            Thread {
                ProcessPriority.markBulk(name: "test-bulk", offset: 5)
                let nice = Self.currentNice()
                ProcessPriority.unmarkBulk()
                continuation.resume(returning: nice)
            }.start()
        }
        #expect(marked == base)
        ProcessPriority.state.withLock { $0 = ProcessPriority.State() }
    }
}
