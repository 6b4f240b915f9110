#if canImport(Glibc)
import Glibc
#endif
import BootServices
import CLinuxEvents
import NIOCore
import NIOPosix
import NetbootWire

/// The thin shell around one ``TFTPReadTransfer``, run on a ``TFTPTransferLoop`` thread with
/// plain system calls: one `recvfrom` per datagram, DATA encoded into a reused arena and sent
/// at once (`sendmsg` copies, so the arena is free again on return), a window's equal-sized
/// blocks as `UDP_SEGMENT` writes of up to 64 datagrams. The file is read in chunks: on the
/// loop when that cannot wait for a disk (the page cache via `preadv2(RWF_NOWAIT)`, or any
/// read of a tmpfs file), else on the thread pool.
final class TFTPReadSession {
    let id: UInt64
    private let setup: TFTPTransferContext
    private let file: TFTPOpenedFile
    private let socket: TFTPTransferSocket
    private unowned let loop: TFTPTransferLoop
    private var machine: TFTPReadTransfer
    private var actions: [TFTPReadTransfer.Action] = []
    private var scratch: [UInt8] = []
    /// Stream bytes `dataStart ..< dataStart + data.readableBytes`.
    private var data: ByteBuffer
    private var dataStart: UInt64 = 0
    private var loading = false
    private var loopRead = LoopRead.cachedOnly
    /// DATA packets being gathered for one write: `batchCount` packets of `batchSegment` bytes
    /// each (the last may be shorter) at the start of the arena.
    private let arena: UnsafeMutableRawBufferPointer
    private var arenaUsed = 0
    private var batchCount = 0
    private var batchSegment = 0
    private var segmentation: Bool
    /// The deadline this session has in the loop's heap (see ``TFTPDeadlineHeap``).
    var scheduled: ContinuousClock.Instant?
    private(set) var isFinished = false

    init(id: UInt64, setup: TFTPTransferContext, file: TFTPOpenedFile, socket: TFTPTransferSocket,
         loop: TFTPTransferLoop) {
        self.id = id
        self.setup = setup
        self.file = file
        self.socket = socket
        self.loop = loop
        machine = TFTPReadTransfer(size: file.size, options: setup.options, configuration: setup.configuration)
        switch file.source {
        case .memory(let bytes): data = ByteBufferAllocator().buffer(bytes: bytes)
        case .descriptor: data = ByteBufferAllocator().buffer(capacity: 0)
        }
        arena = .allocate(byteCount: max(65_536, setup.options.blockSize + TFTPPacket.dataHeaderLength), alignment: 16)
        segmentation = setup.segmentationOffload && System.supportsUDPSegmentationOffload
        actions.reserveCapacity(setup.options.windowSize + 4)
        scratch.reserveCapacity(64)
    }

    deinit {
        arena.deallocate()
    }

    var nextDeadline: ContinuousClock.Instant? { isFinished ? nil : machine.nextDeadline }

    // MARK: events (loop thread)

    func start(now: ContinuousClock.Instant) {
        machine.start(now: now, into: &actions)
        perform(now: now)
    }

    /// The socket is readable: takes one datagram. A datagram from a foreign transfer ID gets
    /// ERROR 5 and leaves the transfer alone (RFC 1350 §4); a malformed one is dropped.
    func readable(now: ContinuousClock.Instant, buffer: UnsafeMutableRawBufferPointer) {
        guard !isFinished, let received = socket.receive(into: buffer) else { return }
        let count = received.count, source = received.source
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        record(bytes, direction: .received, peer: source)
        guard source == socket.peer else {
            setup.metrics.dropped("wrong_tid")
            if let reply = TFTPTransferContext.foreignReply(opcode: Self.opcode(bytes)) {
                reply.withUnsafeBytes { _ = socket.send($0, to: source) }
                reply.withUnsafeBytes { record($0, direction: .sent, peer: source) }
            }
            return
        }
        let packet: TFTPPacket
        if count == 4, Self.opcode(bytes) == TFTPOpcode.acknowledgement.rawValue {
            packet = .acknowledgement(block: UInt16(bytes[2]) << 8 | UInt16(bytes[3]))  // the hot path
        } else {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: bytes)
            guard let decoded = try? TFTPPacket(decoding: scratch) else {
                setup.metrics.dropped("malformed")
                return
            }
            packet = decoded
        }
        machine.packetReceived(packet, now: now, into: &actions)
        perform(now: now)
    }

    func deadlineReached(now: ContinuousClock.Instant) {
        guard !isFinished else { return }
        machine.deadlineReached(now: now, into: &actions)
        perform(now: now)
    }

    /// A chunk read on the thread pool arrived.
    func loaded(_ result: Result<ByteBuffer, TFTPReadError>, now: ContinuousClock.Instant) {
        loading = false
        guard !isFinished else {
            file.close()  // finished while the pool was reading it
            return
        }
        switch result {
        case .success(var chunk):
            data.writeBuffer(&chunk)
            machine.fileDataLoaded(dataStart ..< dataStart + UInt64(data.readableBytes), now: now, into: &actions)
        case .failure:
            machine.fileReadFailed("the file changed or cannot be read", into: &actions)
        }
        perform(now: now)
    }

    /// The service stops: the transfer ends without a word to the peer (as a closed socket would).
    func shutdown() {
        finish(.failed(.notDefined, "server shutting down"))
    }

    // MARK: actions

    private func perform(now: ContinuousClock.Instant) {
        var index = 0
        while index < actions.count {
            let action = actions[index]
            index += 1
            switch action {
            case .sendOptionAcknowledgement(let options):
                flushBatch()
                sendPacket(TFTPPacket.optionAcknowledgement(options).encoded())
            case .sendData(let block, let offset, let count):
                guard offset >= dataStart, offset + UInt64(count) <= dataStart + UInt64(data.readableBytes) else {
                    machine.fileReadFailed("internal: block outside the loaded range", into: &actions)
                    continue
                }
                encodeData(block: block, from: Int(offset - dataStart), count: count)
            case .sendError(let code, let message):
                flushBatch()
                sendPacket(TFTPPacket.error(code: code, message: message).encoded())
            case .load(let range):
                load(range, now: now)
            case .finish(let outcome):
                flushBatch()
                finish(outcome)
            }
        }
        actions.removeAll(keepingCapacity: true)
        flushBatch()
    }

    /// Appends one DATA packet to the batch, sending the batch first when this packet cannot
    /// join it (a different size after a short one, the arena or the segment count full).
    private func encodeData(block: UInt16, from: Int, count: Int) {
        let length = TFTPPacket.dataHeaderLength + count
        if batchCount > 0 {
            let fits = arenaUsed + length <= arena.count
            let joins = segmentation && length <= batchSegment && arenaUsed == batchCount * batchSegment
                && batchCount < Self.maxSegments(of: batchSegment)
            if !fits || !joins { flushBatch() }
        }
        if batchCount == 0 { batchSegment = length }
        arena.storeBytes(of: TFTPPacket.dataHeaderWord(block: block).bigEndian, toByteOffset: arenaUsed, as: UInt32.self)
        if count > 0 {
            data.withUnsafeReadableBytes { raw in
                let source = UnsafeRawBufferPointer(rebasing: raw[from ..< from + count])
                UnsafeMutableRawBufferPointer(rebasing: arena[arenaUsed + 4 ..< arenaUsed + length]).copyMemory(from: source)
            }
        }
        arenaUsed += length
        batchCount += 1
    }

    /// Sends the gathered packets: one `UDP_SEGMENT` write when there are several, else plain
    /// datagrams. A route that refuses segmentation (a block larger than its MTU, IPsec, no
    /// checksum offload) gets the same packets as plain datagrams, and none after.
    private func flushBatch() {
        guard batchCount > 0 else { return }
        defer {
            arenaUsed = 0
            batchCount = 0
        }
        let bytes = UnsafeRawBufferPointer(rebasing: arena[0..<arenaUsed])
        if batchCount > 1, segmentation {
            let error = socket.sendSegmented(bytes, segmentSize: batchSegment)
            switch error {
            case 0:
                recordSegments(bytes)
                return
            case EINVAL, EMSGSIZE, EIO, ENOPROTOOPT, EOPNOTSUPP:
                segmentation = false
                setup.logger.notice("tftp segmentation offload refused, sending plain datagrams client=\(setup.peer.ipAddress ?? "?"):\(setup.peer.port ?? 0) file=\(setup.request.filename) error=\(String(cString: strerror(error)))")
            default:
                return  // a full socket buffer or an ICMP error: as if lost, the machine retransmits
            }
        }
        var start = 0
        while start < bytes.count {
            let packet = UnsafeRawBufferPointer(rebasing: bytes[start ..< min(start + batchSegment, bytes.count)])
            _ = socket.send(packet)
            record(packet, direction: .sent, peer: socket.peer)
            start += batchSegment
        }
    }

    private func sendPacket(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            _ = socket.send(raw)
            record(raw, direction: .sent, peer: socket.peer)
        }
    }

    /// Segments per write: the kernel takes at most 64 (`UDP_MAX_SEGMENTS` on older kernels)
    /// and at most 65 507 bytes of UDP payload in all.
    static func maxSegments(of size: Int) -> Int {
        max(1, min(64, 65_507 / max(1, size)))
    }

    static func opcode(_ bytes: UnsafeRawBufferPointer) -> UInt16? {
        bytes.count >= 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : nil
    }

    // MARK: file

    /// Drops bytes below the range and reads up to its end: synchronously from memory or the
    /// page cache, else one chunked `pread` on the thread pool; then reports what is held.
    private func load(_ range: Range<UInt64>, now: ContinuousClock.Instant) {
        if range.lowerBound > dataStart {
            let drop = Int(min(range.lowerBound - dataStart, UInt64(data.readableBytes)))
            data.moveReaderIndex(forwardBy: drop)
            dataStart += UInt64(drop)
            if data.readerIndex > data.capacity / 2 { data.discardReadBytes() }
        }
        let held = dataStart ..< dataStart + UInt64(data.readableBytes)
        guard case .descriptor(let fd) = file.source, held.upperBound < range.upperBound else {
            machine.fileDataLoaded(held, now: now, into: &actions)
            return
        }
        guard !loading else { return }
        let offset = held.upperBound
        let count = Int(range.upperBound - offset)
        if readOnLoop(fd, count: count, at: offset) {
            machine.fileDataLoaded(dataStart ..< dataStart + UInt64(data.readableBytes), now: now, into: &actions)
            return
        }
        loading = true
        let loop = self.loop, id = self.id
        setup.threadPool.submit { state in
            guard case .active = state else {
                loop.submit(.loaded(session: id, .failure(.shortRead)))
                return
            }
            var chunk = ByteBufferAllocator().buffer(capacity: count)
            let read = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                max(0, TFTPFileAccess.readFully(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]),
                                                at: offset))
            }
            loop.submit(.loaded(session: id, read == count ? .success(chunk) : .failure(.shortRead)))
        }
    }

    /// How this session's file may be read on the loop thread without risking a wait for a disk.
    private enum LoopRead {
        /// `preadv2(RWF_NOWAIT)`: what the page cache holds, else the thread pool.
        case cachedOnly
        /// Plain `pread`: a memory file system (tmpfs), which has no disk to wait for and
        /// refuses RWF_NOWAIT — without this every chunk went through the 2-thread pool.
        case always
        /// Never: RWF_NOWAIT is unsupported and the file may be on a disk.
        case never
    }

    /// Appends `count` bytes from `offset` to `data` if that can be done without blocking.
    private func readOnLoop(_ fd: CInt, count: Int, at offset: UInt64) -> Bool {
        guard loopRead != .never else { return false }
        var refused = false
        let read = data.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw -> Int in
            let target = UnsafeMutableRawBufferPointer(rebasing: raw[0..<count])
            if loopRead == .always {
                return TFTPFileAccess.readFully(fd, into: target, at: offset) == count ? count : 0
            }
            var vector = iovec(iov_base: target.baseAddress, iov_len: count)
            let read = preadv2(fd, &vector, 1, off_t(offset), netboot_rwf_nowait)
            refused = read < 0 && errno == EOPNOTSUPP
            return read == count ? count : 0
        }
        if refused {
            loopRead = netboot_is_memory_backed(fd) != 0 ? .always : .never
            return readOnLoop(fd, count: count, at: offset)
        }
        return read == count
    }

    private func finish(_ outcome: TFTPTransferOutcome) {
        guard !isFinished else { return }
        isFinished = true
        socket.close()
        if !loading { file.close() }  // else the pool still reads it; closed when the read lands
        setup.registry.release(setup.key)
        setup.metrics.activeTransfers.record(setup.registry.count)
        setup.logFinished(direction: "read", outcome: outcome, statistics: machine.statistics, file: file.path)
    }

    /// Finished, and no read of its file in flight: the loop may forget it.
    var isDone: Bool { isFinished && !loading }

    // MARK: flight recorder

    private func record(_ bytes: UnsafeRawBufferPointer, direction: FlightRecorder.Direction, peer: TFTPSocketAddress) {
        guard let recorder = setup.flightRecorder, recorder.isEnabled,
              let them = peer.ipv4, let us = socket.local.ipv4 else { return }
        let payload = Array(bytes)
        if direction == .received {
            recorder.record(datagram: payload, source: IPv4Address(rawValue: them.address), sourcePort: them.port,
                            destination: IPv4Address(rawValue: us.address), destinationPort: us.port,
                            direction: direction, interface: "tftp")
        } else {
            recorder.record(datagram: payload, source: IPv4Address(rawValue: us.address), sourcePort: us.port,
                            destination: IPv4Address(rawValue: them.address), destinationPort: them.port,
                            direction: direction, interface: "tftp")
        }
    }

    private func recordSegments(_ bytes: UnsafeRawBufferPointer) {
        guard let recorder = setup.flightRecorder, recorder.isEnabled else { return }
        var start = 0
        while start < bytes.count {
            record(UnsafeRawBufferPointer(rebasing: bytes[start ..< min(start + batchSegment, bytes.count)]),
                   direction: .sent, peer: socket.peer)
            start += batchSegment
        }
    }
}

enum TFTPReadError: Error {
    case shortRead
}
