import Metrics
import NIOCore
import Synchronization

/// Counts open HTTP connections across event loops: admits up to `max` in all and up to
/// `maxPerClient` from one client address (nginx's `limit_conn`), so that one host holding
/// connections open cannot have every other client answered 503. The number open is the gauge
/// `netboot_http_open_connections` (image downloads in flight, for dashboards beside
/// `netboot_tftp_active_transfers`).
final class HTTPConnectionLimiter: Sendable {
    /// Which limit refused a connection (the `limit` label of the refusal metric).
    enum Limit: String, Sendable {
        case total
        case client
    }

    enum Admission: Equatable {
        case admitted
        case refused(Limit)
    }

    let max: Int
    let maxPerClient: Int
    private let open = Mutex<(total: Int, perClient: [String: Int])>((0, [:]))
    private let gauge = Gauge(label: HTTPServerMetrics.openConnectionsLabel)

    init(max: Int, maxPerClient: Int = .max) {
        self.max = max
        self.maxPerClient = maxPerClient
    }

    var current: Int { open.withLock { $0.total } }

    func current(client: String) -> Int { open.withLock { $0.perClient[client, default: 0] } }

    /// Takes a slot for a connection from `client` (its IP address), or says which limit is reached.
    func admit(client: String) -> Admission {
        open.withLock { open in
            if open.total >= max { return .refused(.total) }
            let held = open.perClient[client, default: 0]
            if held >= maxPerClient { return .refused(.client) }
            open.total += 1
            open.perClient[client] = held + 1
            gauge.record(open.total)
            return .admitted
        }
    }

    func release(client: String) {
        open.withLock { open in
            open.total -= 1
            gauge.record(open.total)
            let left = open.perClient[client, default: 1] - 1
            open.perClient[client] = left > 0 ? left : nil
        }
    }
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
