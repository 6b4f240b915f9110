import BootServices
import NIOCore
import NIOPosix
import NetbootWire

/// The thin shell around one ``TFTPReadTransfer``: its own UDP socket (the transfer ID), the
/// file read in large chunks on the thread pool into a retained buffer, DATA packets written
/// into a reused arena and sent as slices (no allocation per block once warm).
final class TFTPReadTransferHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let setup: TFTPTransferContext
    private let file: TFTPOpenedFile
    private var machine: TFTPReadTransfer
    private var actions: [TFTPReadTransfer.Action] = []
    private var scratch: [UInt8] = []
    /// Stream bytes `dataStart ..< dataStart + data.readableBytes`.
    private var data: ByteBuffer
    private var dataStart: UInt64 = 0
    private var arena: ByteBuffer
    /// The DATA packets of the current `perform()` in the arena, not yet handed to NIO.
    private var encoded: [EncodedPacket] = []
    private var segmentation: TFTPSegmentation
    private var timer = TFTPDeadlineTimer()
    private var context: ChannelHandlerContext?
    private var finished = false

    init(setup: TFTPTransferContext, file: TFTPOpenedFile) {
        self.setup = setup
        self.file = file
        self.machine = TFTPReadTransfer(size: file.size, options: setup.options, configuration: setup.configuration)
        let allocator = ByteBufferAllocator()
        switch file.source {
        case .memory(let bytes):
            data = allocator.buffer(bytes: bytes)
        case .descriptor:
            data = allocator.buffer(capacity: 0)
        }
        let window = setup.options.windowSize * (setup.options.blockSize + TFTPPacket.dataHeaderLength)
        arena = allocator.buffer(capacity: min(window, 1 << 22))
        actions.reserveCapacity(setup.options.windowSize + 4)
        encoded.reserveCapacity(setup.options.windowSize)
        segmentation = TFTPSegmentation(enabled: setup.segmentationOffload)
        scratch.reserveCapacity(64)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        machine.start(now: .now, into: &actions)
        perform()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished { finish(.failed(.notDefined, "server shutting down")) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let packet = setup.admit(unwrapInboundIn(data), on: context, scratch: &scratch) else { return }
        machine.packetReceived(packet, now: .now, into: &actions)
        perform()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like surface here; the retry limit ends a dead transfer.
    }

    // MARK: actions

    /// Runs the machine's actions. DATA packets are first all encoded into the arena while it
    /// is uniquely owned, and only then handed to NIO as slices: a slice taken before the next
    /// write would make that write copy the whole arena (copy-on-write), once per block.
    private func perform() {
        guard let context else { return }
        arena.clear()
        encoded.removeAll(keepingCapacity: true)
        var wrote = false
        var index = 0
        while index < actions.count {
            let action = actions[index]
            index += 1
            switch action {
            case .sendOptionAcknowledgement(let options):
                wrote = emitEncoded(context: context) || wrote
                send(TFTPPacket.optionAcknowledgement(options).encoded(), context: context)
                wrote = true
            case .sendData(let block, let offset, let count):
                guard offset >= dataStart, offset + UInt64(count) <= dataStart + UInt64(data.readableBytes) else {
                    machine.fileReadFailed("internal: block outside the loaded range", into: &actions)
                    continue
                }
                let start = arena.writerIndex
                arena.writeInteger(TFTPPacket.dataHeaderWord(block: block))
                let from = Int(offset - dataStart)
                if count > 0 {
                    data.withUnsafeReadableBytes { raw in
                        _ = arena.writeBytes(UnsafeRawBufferPointer(rebasing: raw[from ..< from + count]))
                    }
                }
                encoded.append(EncodedPacket(start: start, length: TFTPPacket.dataHeaderLength + count))
            case .sendError(let code, let message):
                wrote = emitEncoded(context: context) || wrote
                send(TFTPPacket.error(code: code, message: message).encoded(), context: context)
                wrote = true
            case .load(let range):
                load(range)
            case .finish(let outcome):
                wrote = emitEncoded(context: context) || wrote
                if wrote { context.flush() }
                wrote = false
                finish(outcome)
            }
        }
        actions.removeAll(keepingCapacity: true)
        wrote = emitEncoded(context: context) || wrote
        if wrote { context.flush() }
        if !finished {
            timer.arm(machine.nextDeadline, on: context.eventLoop) { [weak self] in self?.deadlineFired() }
        }
    }

    /// Writes the packets encoded so far (without flushing): runs of equal-sized packets,
    /// optionally ending in one shorter packet, go out as one `UDP_SEGMENT` write each (the
    /// kernel cuts them into datagrams), anything else as one datagram per packet.
    private func emitEncoded(context: ChannelHandlerContext) -> Bool {
        guard !encoded.isEmpty else { return false }
        defer { encoded.removeAll(keepingCapacity: true) }
        var first = 0
        while first < encoded.count {
            let size = encoded[first].length
            var last = first
            if segmentation.isEnabled {
                let limit = min(first + segmentation.maxSegments(of: size), encoded.count)
                while last + 1 < limit, encoded[last].length == size,
                      encoded[last + 1].start == encoded[last].start + size,
                      encoded[last + 1].length <= size {
                    last += 1
                }
            }
            let start = encoded[first].start
            let length = encoded[last].start + encoded[last].length - start
            guard let slice = arena.getSlice(at: start, length: length) else { break }
            if last > first {
                writeSegmented(slice, segmentSize: size, context: context)
            } else {
                context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: setup.peer, data: slice)), promise: nil)
            }
            first = last + 1
        }
        return true
    }

    /// One `UDP_SEGMENT` write. If the kernel refuses it (no checksum offload on the route,
    /// IPsec, a segment larger than the path MTU), segmentation is switched off for this
    /// transfer and the same bytes go out again as ordinary datagrams.
    private func writeSegmented(_ buffer: ByteBuffer, segmentSize: Int, context: ChannelHandlerContext) {
        let metadata = AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil,
                                                               segmentSize: segmentSize)
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenFailure { [weak self] error in
            self?.segmentedWriteFailed(buffer, segmentSize: segmentSize, error: error)
        }
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: setup.peer, data: buffer, metadata: metadata)),
                      promise: promise)
    }

    private func segmentedWriteFailed(_ buffer: ByteBuffer, segmentSize: Int, error: any Error) {
        guard let context, !finished else { return }
        if segmentation.isEnabled {
            segmentation.disable()
            setup.logger.notice("tftp segmentation offload refused, sending plain datagrams client=\(setup.peer.ipAddress ?? "?"):\(setup.peer.port ?? 0) file=\(setup.request.filename) error=\(error)")
        }
        var rest = buffer
        while rest.readableBytes > 0, let packet = rest.readSlice(length: min(segmentSize, rest.readableBytes)) {
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: setup.peer, data: packet)), promise: nil)
        }
        context.flush()
    }

    private func send(_ bytes: [UInt8], context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: setup.peer, data: buffer)), promise: nil)
    }

    private func deadlineFired() {
        timer.fired()
        guard !finished else { return }
        machine.deadlineReached(now: .now, into: &actions)
        perform()
    }

    /// Drops bytes below the range and reads up to its end (synchronously from memory, else
    /// one chunked `pread` on the thread pool), then reports what is held.
    private func load(_ range: Range<UInt64>) {
        if range.lowerBound > dataStart {
            let drop = Int(min(range.lowerBound - dataStart, UInt64(data.readableBytes)))
            data.moveReaderIndex(forwardBy: drop)
            dataStart += UInt64(drop)
            if data.readerIndex > data.capacity / 2 { data.discardReadBytes() }
        }
        let held = dataStart ..< dataStart + UInt64(data.readableBytes)
        guard case .descriptor(let fd) = file.source, held.upperBound < range.upperBound else {
            machine.fileDataLoaded(held, now: .now, into: &actions)
            return
        }
        let offset = held.upperBound
        let count = Int(range.upperBound - offset)
        guard let context else { return }
        setup.threadPool.runIfActive(eventLoop: context.eventLoop) { () throws -> ByteBuffer in
            var chunk = ByteBufferAllocator().buffer(capacity: count)
            let read = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                max(0, TFTPFileAccess.readFully(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]),
                                                at: offset))
            }
            guard read == count else { throw TFTPReadError.shortRead }
            return chunk
        }.assumeIsolated().whenComplete { [weak self] result in
            self?.loaded(result)
        }
    }

    private func loaded(_ result: Result<ByteBuffer, any Error>) {
        guard !finished else { return }
        switch result {
        case .success(var chunk):
            data.writeBuffer(&chunk)
            machine.fileDataLoaded(dataStart ..< dataStart + UInt64(data.readableBytes), now: .now, into: &actions)
        case .failure:
            machine.fileReadFailed("the file changed or cannot be read", into: &actions)
        }
        perform()
    }

    private func finish(_ outcome: TFTPTransferOutcome) {
        guard !finished else { return }
        finished = true
        timer.cancel()
        file.close()
        setup.registry.release(setup.key)
        setup.metrics.activeTransfers.record(setup.registry.count)
        setup.logFinished(direction: "read", outcome: outcome, statistics: machine.statistics, file: file.path)
        context?.close(promise: nil)
    }
}

/// One DATA packet encoded in the arena.
struct EncodedPacket {
    var start: Int
    var length: Int
}

/// Whether DATA windows go out as `UDP_SEGMENT` (GSO) writes: one `sendmsg` carries up to 64
/// datagrams of one size (the last may be shorter) and the kernel or NIC cuts them.
struct TFTPSegmentation {
    private(set) var isEnabled: Bool

    init(enabled: Bool) {
        isEnabled = enabled && System.supportsUDPSegmentationOffload
    }

    mutating func disable() { isEnabled = false }

    /// Segments per write: the kernel takes at most 64 (`UDP_MAX_SEGMENTS` on older kernels)
    /// and at most 65 507 bytes of UDP payload in all.
    func maxSegments(of size: Int) -> Int {
        max(1, min(64, 65_507 / max(1, size)))
    }
}

enum TFTPReadError: Error {
    case shortRead
}

@available(*, unavailable)
extension TFTPReadTransferHandler: Sendable {}
