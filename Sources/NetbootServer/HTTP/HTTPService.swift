import BootServices
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Errors that stop the HTTP service from starting.
public enum HTTPServiceError: Error, Equatable, CustomStringConvertible {
    case rootUnusable(String, errno: CInt)

    public var description: String {
        switch self {
        case let .rootUnusable(root, code): "http root \(root) is unusable: \(String(cString: strerror(code)))"
        }
    }
}

/// The HTTP/1.1 image server (boot-servers reference §3): GET and HEAD of files under a root
/// with ranges, conditional requests and `sendfile`; `/boot/ipxe` scripts; `/healthz` and
/// `/metrics`. A ServiceLifecycle `Service`: `run()` serves until graceful shutdown.
public final class HTTPService: Service, Sendable {
    /// Limits that keep one client from starving the others. Defaults follow nginx's where it has one.
    public struct Limits: Sendable, Equatable {
        /// Longest request target (the request line's URI), bytes; longer → 414. nginx: 8 KiB.
        public var maxRequestLineBytes: Int = 8192
        /// All header fields together, bytes; more → 431 and close. nginx: 4 × 8 KiB buffers.
        public var maxHeaderBytes: Int = 32 * 1024
        /// Longest wait of a kept-alive connection for the first byte of its next request;
        /// then it is closed. nginx `keepalive_timeout`: 75 s.
        public var idleTimeout: TimeAmount = .seconds(60)
        /// Longest time for a complete request head: from accept on a fresh connection (a
        /// silent one is closed), and from a head's first byte (one trickled slower, slowloris,
        /// is answered 408 and closed). nginx `client_header_timeout`: 60 s; ours is shorter, a
        /// boot client sends its head in one packet.
        public var requestTimeout: TimeAmount = .seconds(10)
        /// Longest time sent data may stay unacknowledged (a client that stops reading),
        /// enforced by the kernel through `TCP_USER_TIMEOUT`.
        public var slowClientTimeout: TimeAmount = .seconds(30)
        /// Open connections beyond this are answered 503 and closed at once.
        public var maxConnections: Int = 1024
        /// Open connections from one client address beyond this are answered 503 and closed at
        /// once (nginx `limit_conn`), so one host cannot hold every connection: an iPXE or
        /// firmware client uses one, a browser six.
        public var maxConnectionsPerClient: Int = 32
        /// More byte ranges than this (after coalescing) and the full file is sent instead.
        public var maxRanges: Int = 16

        public init() {}

        /// The deadlines of ``HTTPConnection``.
        var timeouts: HTTPConnection.Timeouts {
            .init(request: .nanoseconds(requestTimeout.nanoseconds), idle: .nanoseconds(idleTimeout.nanoseconds))
        }
    }

    public struct Options: Sendable {
        /// The addresses to listen on, one listening socket each (`http.listen`, or the served
        /// interfaces' addresses: ``ListenAddresses``); `0.0.0.0` is every address. Empty: HTTP
        /// is not served (no interface had an address).
        public var hosts: [String] = ["0.0.0.0"]
        /// 0 picks a free port (see ``HTTPService/listeningPort()``).
        public var port: Int = 80
        public var root: String
        /// Serve an HTML index of a directory that has no `index.html` (otherwise 403).
        public var directoryListing: Bool = false
        public var limits = Limits()
        /// Event loops; one per core by default.
        public var eventLoopThreads: Int = System.coreCount
        /// Threads that open files and read small bodies. 0 (the default) does it on the event
        /// loop, as nginx does without `aio threads`: measured at about half the CPU per small
        /// request of the thread-pool hop. Set 2+ when the root is on slow or network storage,
        /// where a stalled `open` would otherwise stall that loop's other connections.
        public var fileThreads: Int = 0
        /// Bodies up to this many bytes are copied into the head's `writev` instead of a
        /// separate `sendfile` (a 4 KiB iPXE block read is cheaper as `pread` + one `writev`).
        public var inlineBodyLimit: Int = 16 * 1024
        /// The PXE image set `/boot/ipxe` renders.
        public var ipxe = IPXEBootMenu()
        /// Decides each `/boot/ipxe` fetch's local-disk boot and enrollment token (the proxy
        /// bridge's store, docs/pxe.md "Boot decisions"); asked on NIO's blocking thread pool.
        /// nil: every client gets the menu.
        public var bootSessions: (any IPXEBootSessionSource)?
        /// Rendered by `/metrics`. The caller bootstraps swift-metrics with a
        /// `PrometheusMetricsFactory` over the same registry; nil answers `/metrics` with 404.
        public var metricsRegistry: PrometheusCollectorRegistry?
        /// One `info` line per request on the logger.
        public var accessLog: Bool = true
        /// Also log `/healthz` requests (a monitor probing every few seconds fills the log).
        public var accessLogHealthChecks: Bool = false
        /// Write query values in the access log as `***` (`?token=***&mac=***`): tokens and
        /// other secrets in URLs stay out of the log, as nginx setups do with a `map`.
        public var redactQueries: Bool = true

        public init(root: String, port: Int = 80) {
            self.root = root
            self.port = port
        }
    }

    let options: Options
    let logger: Logger
    private let boundPort = Mutex<Int?>(nil)
    private let listening = AsyncStream<Int>.makeStream()

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The bound port once listening (useful with port 0).
    public func listeningPort() async -> Int? {
        if let port = boundPort.withLock({ $0 }) { return port }
        for await port in listening.stream { return port }
        return nil
    }

    public func run() async throws {
        Self.raiseOpenFileLimit()  // so maxConnections is reachable
        let opener = try HTTPFileOpener(root: options.root)
        if !opener.rootExisted {
            logger.warning("http root does not exist; answering 404 until it does", metadata: ["root": "\(opener.rootRealPath)"])
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.eventLoopThreads))
        let pool = options.fileThreads > 0 ? NIOThreadPool(numberOfThreads: options.fileThreads) : nil
        pool?.start()
        let context = HTTPConnectionHandler.Shared(
            options: options, opener: opener, pool: pool, logger: logger,
            metrics: HTTPServerMetrics(),
            connections: HTTPConnectionLimiter(max: options.limits.maxConnections,
                                               maxPerClient: options.limits.maxConnectionsPerClient)
        )
        do {
            var channels: [any Channel] = []
            var port = options.port
            for host in options.hosts {
                do {
                    let channel = try await Self.bootstrap(group: group, context: context).bind(host: host, port: port).get()
                    channels.append(channel)
                    port = channel.localAddress?.port ?? port  // port 0: the others on the same one
                    logger.info("http listening on \(host):\(port)", metadata: ["root": "\(opener.rootRealPath)"])
                } catch {
                    for channel in channels { try? await channel.close() }
                    throw ListenError(service: "http", host: host, port: port, transport: "TCP", error: error)
                }
            }
            if channels.isEmpty {
                logger.error("http: no address to listen on (see the warnings above); HTTP is not served")
            } else {
                boundPort.withLock { $0 = port }
                listening.continuation.yield(port)
            }
            listening.continuation.finish()
            if channels.isEmpty { try? await gracefulShutdown() }
            await ChannelShutdown.waitClosed(channels)
        } catch {
            listening.continuation.finish()
            try? await pool?.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        try? await pool?.shutdownGracefully()
        try await group.shutdownGracefully()
        logger.info("http stopped")
    }

    private static func bootstrap(group: MultiThreadedEventLoopGroup, context: HTTPConnectionHandler.Shared) -> ServerBootstrap {
        let limits = context.options.limits
        let userTimeout = Int(clamping: limits.slowClientTimeout.nanoseconds / 1_000_000)
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.tcpOption(.init(rawValue: CInt(TCP_USER_TIMEOUT))), value: userTimeout)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let client = channel.remoteAddress?.ipAddress ?? "-"
                    switch context.connections.admit(client: client) {
                    case .admitted:
                        break
                    case let .refused(limit):
                        context.metrics.refused(limit)
                        try sync.addHandler(HTTPConnectionRefuser())
                        return
                    }
                    channel.closeFuture.whenComplete { _ in context.connections.release(client: client) }
                    try sync.addHandler(HTTPConnectionHandler(shared: context))
                }
            }
    }
}
