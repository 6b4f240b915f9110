import BootServices
import NIOCore
import NetbootWire

/// The thin shell around one ``TFTPWriteTransfer`` (WRQ): its own socket, payloads appended to
/// a hidden temporary file, linked into place on commit (never replacing a file).
///
/// Known limit: uploads are written with plain `write(2)` on the event loop (the page cache
/// absorbs them); uploads are an opt-in side feature, not the boot path.
final class TFTPWriteTransferHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let setup: TFTPTransferContext
    private let upload: TFTPUploadFile
    private var machine: TFTPWriteTransfer
    private var actions: [TFTPWriteTransfer.Action] = []
    private var scratch: [UInt8] = []
    private var decoder = Netascii.Decoder()
    private var converted: [UInt8] = []
    private var timer = TFTPDeadlineTimer()
    private var context: ChannelHandlerContext?
    private var committed = false
    private var finished = false

    init(setup: TFTPTransferContext, upload: TFTPUploadFile) {
        self.setup = setup
        self.upload = upload
        self.machine = TFTPWriteTransfer(options: setup.options, configuration: setup.configuration)
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

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}

    private func perform() {
        guard let context else { return }
        var wrote = false
        var index = 0
        while index < actions.count {
            let action = actions[index]
            index += 1
            switch action {
            case .sendOptionAcknowledgement(let options):
                send(.optionAcknowledgement(options), context: context)
                wrote = true
            case .sendAcknowledgement(let block):
                send(.acknowledgement(block: block), context: context)
                wrote = true
            case .sendError(let code, let message):
                send(.error(code: code, message: message), context: context)
                wrote = true
            case .append(let bytes):
                if !write(bytes) {
                    // Drop the actions queued behind the failed write (an ACK must not go out).
                    actions.removeSubrange(index...)
                    machine.fileWriteFailed("cannot write the file", into: &actions)
                }
            case .commit:
                var ok = true
                if setup.request.mode == .netascii {
                    converted.removeAll(keepingCapacity: true)
                    decoder.finish(into: &converted)
                    ok = TFTPFileAccess.append(converted, to: upload)
                }
                if let refusal = ok ? TFTPFileAccess.commit(upload) : TFTPFileAccess.Refusal(.diskFull, "write error") {
                    if !ok { TFTPFileAccess.discard(upload) }
                    committed = true  // the temporary file is gone either way
                    actions.removeSubrange(index...)
                    machine.fileWriteFailed(refusal.reason, into: &actions)
                } else {
                    committed = true
                }
            case .finish(let outcome):
                if wrote { context.flush() }
                wrote = false
                finish(outcome)
            }
        }
        actions.removeAll(keepingCapacity: true)
        if wrote { context.flush() }
        if !finished {
            timer.arm(machine.nextDeadline, on: context.eventLoop) { [weak self] in self?.deadlineFired() }
        }
    }

    private func write(_ bytes: [UInt8]) -> Bool {
        guard setup.request.mode == .netascii else { return TFTPFileAccess.append(bytes, to: upload) }
        converted.removeAll(keepingCapacity: true)
        decoder.decode(bytes, into: &converted)
        return TFTPFileAccess.append(converted, to: upload)
    }

    private func send(_ packet: TFTPPacket, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(bytes: packet.encoded())
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: setup.peer, data: buffer)), promise: nil)
    }

    private func deadlineFired() {
        timer.fired()
        guard !finished else { return }
        machine.deadlineReached(now: .now, into: &actions)
        perform()
    }

    private func finish(_ outcome: TFTPTransferOutcome) {
        guard !finished else { return }
        finished = true
        timer.cancel()
        if !committed { TFTPFileAccess.discard(upload) }
        setup.registry.release(setup.key)
        setup.metrics.activeTransfers.record(setup.registry.count)
        setup.logFinished(direction: "write", outcome: outcome, statistics: machine.statistics, file: upload.finalPath)
        context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension TFTPWriteTransferHandler: Sendable {}
