import Foundation
import Testing
@testable import TaskSequenceDrivers

/// Collects what one consumer saw (only its own thread appends; read after `close`).
private final class Seen: @unchecked Sendable {
    var bytes = Data()
    var chunks = 0
}

private struct Refused: Error, Equatable {}

@Suite struct ChunkRingTests {
    /// Appends `data` in pieces of varying size, as a decoder would.
    private func produce(_ data: Data, into ring: ChunkRing) throws {
        var offset = 0
        var piece = 1
        try data.withUnsafeBytes { all in
            while offset < all.count {
                let n = min(piece, all.count - offset)
                try ring.append(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
                offset += n
                piece = piece * 7 % 100_003 + 1
            }
        }
    }

    private func pattern(_ count: Int) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 4099) })
    }

    @Test func everyConsumerSeesEveryByteInOrder() throws {
        let data = pattern(5 << 20 + 12345)
        let ring = ChunkRing(chunkSize: 64 << 10, count: 4, consumers: 2)
        let seen = [Seen(), Seen()]
        for consumer in 0..<2 {
            Thread {
                ring.drain(consumer: consumer) { chunk in
                    seen[consumer].bytes.append(contentsOf: chunk)
                    seen[consumer].chunks += 1
                    // One consumer slower than the other: the faster must not run ahead of the ring.
                    if consumer == 1, seen[consumer].chunks % 8 == 0 { usleep(1000) }
                }
            }.start()
        }
        try produce(data, into: ring)
        try ring.close()
        #expect(seen[0].bytes == data)
        #expect(seen[1].bytes == data)
        #expect(ring.consumed == data.count)
    }

    @Test func aConsumerErrorReachesTheProducerAndStopsTheOthers() throws {
        let ring = ChunkRing(chunkSize: 4096, count: 2, consumers: 2)
        let seen = Seen()
        Thread { ring.drain(consumer: 0) { seen.bytes.append(contentsOf: $0) } }.start()
        Thread {
            var chunks = 0
            ring.drain(consumer: 1) { _ in
                chunks += 1
                if chunks == 3 { throw Refused() }
            }
        }.start()
        #expect(throws: Refused.self) {
            try produce(pattern(1 << 20), into: ring)
            try ring.close()
        }
        ring.abandon()  // returns at once: every consumer has stopped
        #expect(seen.bytes.count < 1 << 20)
    }

    @Test func theProducerWaitsWhenEveryBufferIsTaken() throws {
        let ring = ChunkRing(chunkSize: 4096, count: 2, consumers: 1)
        let gate = DispatchSemaphore(value: 0)
        Thread { ring.drain(consumer: 0) { _ in gate.wait() } }.start()
        let produced = DispatchSemaphore(value: 0)
        let done = Seen()
        Thread {
            try? produce(pattern(10 * 4096), into: ring)
            done.chunks = 1
            produced.signal()
        }.start()
        // Ten chunks into a ring of two whose consumer is stuck on its first: the producer waits.
        #expect(produced.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(ring.consumed == 0)
        for _ in 0..<10 { gate.signal() }
        #expect(produced.wait(timeout: .now() + 10) == .success)
        try ring.close()
        #expect(ring.consumed == 10 * 4096)
    }

    @Test func abandonStopsIdleConsumers() {
        let ring = ChunkRing(chunkSize: 4096, count: 2, consumers: 3)
        for consumer in 0..<3 { Thread { ring.drain(consumer: consumer) { _ in } }.start() }
        ring.abandon()
        #expect(ring.consumed == 0)
    }

    @Test func anEmptyInputClosesCleanly() throws {
        let ring = ChunkRing(chunkSize: 4096, count: 2, consumers: 2)
        let seen = [Seen(), Seen()]
        for consumer in 0..<2 { Thread { ring.drain(consumer: consumer) { _ in seen[consumer].chunks += 1 } }.start() }
        try ring.close()
        #expect(seen.map(\.chunks) == [0, 0])
    }
}
