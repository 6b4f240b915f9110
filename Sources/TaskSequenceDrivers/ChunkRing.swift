import Foundation

/// A bounded hand-off of bytes from one producing thread to several consuming threads,
/// through a fixed ring of equal buffers. The apply-image step decodes on one thread while one
/// consumer hashes and another writes what was decoded before (issue 16: the
/// `curl | zstd -d | dd` pipeline a user would write overlaps decoding and writing on two
/// cores; the runner does too, without pipes, and SHA-256 — the largest cost — gets a core to
/// itself).
///
/// The producer copies into the buffer it is filling and publishes it when full; it waits when
/// no buffer is free, so memory stays at `count × chunkSize`. Every consumer sees every
/// buffer, in order; a buffer is free again once all of them are done with it. A consumer's
/// error stops every consumer and is thrown by the producer's next `append` or by `close`;
/// `abandon` stops them early.
///
/// `@unchecked Sendable`: every field is read and written under `condition`'s lock, except
/// the buffers' contents, which the producer writes only while a buffer is neither published
/// nor free to consumers, and consumers only read; buffers change hands under the lock.
final class ChunkRing: @unchecked Sendable {
    private let condition = NSCondition()
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let consumers: Int
    /// Indices of buffers the producer may fill.
    private var free: [Int]
    /// Published buffers, oldest first: the buffer, its byte count, and how many consumers
    /// have not finished it yet. `published[0]` is chunk number `base`.
    private var published: [(index: Int, count: Int, pending: Int)] = []
    private var base = 0
    /// The chunk number each consumer takes next.
    private var cursors: [Int]
    private var filling: Int?
    private var filled = 0
    private var ended = false
    private var stopped = false
    private var finishedConsumers = 0
    private var failure: (any Error)?
    private var consumedBytes = 0
    /// Whether the producer waits for a free buffer, and which consumers wait for data.
    private var producerWaiting = false
    private var consumerWaiting: [Bool]
    /// A waiting side is woken only once this many buffers are ready for it (or the ring
    /// ends): half the ring, so the threads hand over in batches instead of waking each other
    /// for every buffer (a thread switch per megabyte doubled the CPU time on a busy machine).
    private let batch: Int

    init(chunkSize: Int, count: Int, consumers: Int) {
        buffers = (0..<max(2, count)).map { _ in .allocate(byteCount: max(4096, chunkSize), alignment: 4096) }
        free = Array(buffers.indices)
        batch = max(1, buffers.count / 2)
        self.consumers = max(1, consumers)
        cursors = Array(repeating: 0, count: max(1, consumers))
        consumerWaiting = Array(repeating: false, count: max(1, consumers))
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    /// Bytes every consumer has finished with.
    var consumed: Int {
        condition.lock()
        defer { condition.unlock() }
        return consumedBytes
    }

    // MARK: producer

    /// Copies `bytes` into the ring, publishing each buffer it fills; waits for a free buffer
    /// when none is. Throws a consumer's error once there is one.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var source = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let index = try fillingBuffer()
            let buffer = buffers[index]
            let n = min(left, buffer.count - filled)
            UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + n)])
                .copyMemory(from: UnsafeRawBufferPointer(start: source, count: n))
            filled += n
            source += n
            left -= n
            if filled == buffer.count { publish(index) }
        }
    }

    /// The input ended: publishes the last partial buffer and waits until every consumer has
    /// finished everything. Throws a consumer's error, if there was one.
    func close() throws {
        if let index = filling, filled > 0 { publish(index) }
        condition.lock()
        defer { condition.unlock() }
        ended = true
        condition.broadcast()
        while finishedConsumers < consumers { condition.wait() }
        if let failure { throw failure }
    }

    /// The producer failed or was cancelled: the consumers stop after the buffer they are on.
    /// Waits until they have, so nothing they use outlives this call.
    func abandon() {
        condition.lock()
        defer { condition.unlock() }
        stopped = true
        condition.broadcast()
        while finishedConsumers < consumers { condition.wait() }
    }

    private func fillingBuffer() throws -> Int {
        if let index = filling { return index }
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty, failure == nil {
            producerWaiting = true
            condition.wait()
            producerWaiting = false
        }
        if let failure { throw failure }
        let index = free.removeFirst()
        filling = index
        filled = 0
        return index
    }

    private func publish(_ index: Int) {
        condition.lock()
        published.append((index, filled, consumers))
        filling = nil
        filled = 0
        let ready = base + published.count
        if cursors.indices.contains(where: { consumerWaiting[$0] && ready - cursors[$0] >= batch }) { condition.broadcast() }
        condition.unlock()
    }

    // MARK: consumers

    /// Runs on consumer `consumer`'s thread (0 ..< consumers) until the producer closes or
    /// abandons the ring, or a consumer throws (the error goes to the producer).
    func drain(consumer: Int, _ consume: (UnsafeRawBufferPointer) throws -> Void) {
        guard cursors.indices.contains(consumer) else { return }
        condition.lock()
        defer {
            finishedConsumers += 1
            condition.broadcast()
            condition.unlock()
        }
        while true {
            while cursors[consumer] - base >= published.count, !ended, !stopped {
                consumerWaiting[consumer] = true
                condition.wait()
                consumerWaiting[consumer] = false
            }
            let position = cursors[consumer] - base
            guard !stopped, position < published.count else { return }
            let chunk = published[position]
            condition.unlock()
            var thrown: (any Error)?
            do {
                try consume(UnsafeRawBufferPointer(rebasing: buffers[chunk.index][0..<chunk.count]))
            } catch {
                thrown = error
            }
            condition.lock()
            if let thrown {
                if failure == nil { failure = thrown }
                stopped = true
                return
            }
            // `base` may have moved only past chunks every consumer finished, so not this one.
            published[cursors[consumer] - base].pending -= 1
            cursors[consumer] += 1
            while let first = published.first, first.pending == 0 {
                published.removeFirst()
                base += 1
                free.append(first.index)
                consumedBytes += first.count
            }
            if producerWaiting, free.count >= batch { condition.broadcast() }
        }
    }
}
