import ControlProtocol
import Logging
import NIOCore

/// One control connection: bytes → ``ControlLineFramer`` lines → ``ControlRequestDecoder`` →
/// ``ControlCore`` (with a fresh snapshot) → reply lines, in request order. A request whose
/// step is an action waits for it (off the event loop) before the next line is taken. Junk gets
/// an error reply and the connection goes on; an over-long line gets `too-large` and a close.
final class ControlChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: all mutable state is touched on the channel's event loop only.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let responder: ControlResponder
    private let logger: Logger
    private var framer = ControlLineFramer()
    private var queue: [ControlLineFramer.Frame] = []
    private var busy = false
    private var inputClosed = false
    private var closing = false

    init(responder: ControlResponder, logger: Logger) {
        self.responder = responder
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        queue += framer.feed(buffer.readableBytesView)
        drain(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            drain(context: context)
        } else if event is IdleStateHandler.IdleStateEvent, !busy {
            // A client that sends nothing for `ControlSocketService.idleTimeout` is hung up on.
            logger.debug("control: idle connection closed")
            closing = true
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("control: connection error: \(error)")
        context.close(promise: nil)
    }

    private func drain(context: ChannelHandlerContext) {
        while !busy, !closing, !queue.isEmpty {
            let frame = queue.removeFirst()
            switch frame {
            case .overflow:
                let error = ControlError(.tooLarge, "request longer than \(ControlProtocol.maxRequestBytes) bytes; closing")
                logger.notice("control: \(error.message)")
                closing = true
                queue = []
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(buffer(ControlReply.error(nil, error), context)))
                    .whenComplete { _ in channel.close(promise: nil) }
                return
            case .line(let bytes):
                if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
                    continue  // blank lines are ignored
                }
                handle(bytes, context: context)
            }
        }
        if !busy, queue.isEmpty, inputClosed, !closing {
            closing = true
            context.close(promise: nil)
        }
    }

    private func handle(_ line: [UInt8], context: ChannelHandlerContext) {
        switch ControlRequestDecoder.decode(line) {
        case .failure(let rejection):
            logger.notice("control: refused a request: \(rejection.error.code.rawValue): \(rejection.error.message)")
            write(ControlCore.reply(to: rejection), context: context)
        case .success(let request):
            logger.debug("control: \(request.command.name.rawValue)")
            switch ControlCore.handle(request, snapshot: responder.snapshot()) {
            case .reply(let reply):
                write(reply, context: context)
            case .perform(let action):
                busy = true
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                let loop = context.eventLoop
                let responder = self.responder
                Task {
                    let outcome = await responder.perform(action)
                    loop.execute {
                        let context = loopBound.value
                        self.busy = false
                        self.write(ControlCore.reply(to: request, after: outcome), context: context)
                        self.drain(context: context)
                    }
                }
            }
        }
    }

    private func write(_ reply: ControlReply, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(buffer(reply, context)), promise: nil)
    }

    private func buffer(_ reply: ControlReply, _ context: ChannelHandlerContext) -> ByteBuffer {
        context.channel.allocator.buffer(bytes: reply.encoded())
    }
}
