import NIOCore
import Synchronization

/// Counts open HTTP connections across event loops; admits up to `max`.
final class HTTPConnectionLimiter: Sendable {
    let max: Int
    private let open = Atomic<Int>(0)

    init(max: Int) { self.max = max }

    var current: Int { open.load(ordering: .relaxed) }

    /// Takes a slot; false (and no slot) when all are taken.
    func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        if now > max {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { open.wrappingSubtract(1, ordering: .relaxed) }
}

/// The whole pipeline of a connection over the limit: a fixed 503, then close.
final class HTTPConnectionRefuser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n"
        + "Retry-After: 1\r\n\r\n"

    func channelActive(context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: Self.response)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

@available(*, unavailable)
extension HTTPConnectionRefuser: Sendable {}
