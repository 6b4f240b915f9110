import BootServices
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The TFTP server (RFC 1350, 2347, 2348, 2349, 7440) as a ServiceLifecycle `Service`:
/// a listener on `options.port` and one ephemeral socket per transfer (issue 4, docs/tftp.md).
/// Read transfers run on ``TFTPTransferLoop`` threads, write transfers on SwiftNIO channels.
public final class TFTPService: Service, Sendable {
    private let options: TFTPServiceOptions
    private let logger: Logger
    private let group: any EventLoopGroup
    private let flightRecorder: FlightRecorder?

    public init(options: TFTPServiceOptions, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                flightRecorder: FlightRecorder? = nil) {
        self.options = options
        self.logger = logger
        self.group = group
        self.flightRecorder = flightRecorder
    }

    public func run() async throws {
        // A missing directory is not fatal (images/ may appear later): requests are refused
        // until it exists, and the root is resolved again for every request.
        if TFTPFileAccess.realDirectory(options.root) == nil {
            logger.warning("tftp root \(options.root) is not a directory yet: every read request gets ERROR 1 until it is")
        }
        if let upload = options.uploadDirectory, TFTPFileAccess.realDirectory(upload) == nil {
            logger.warning("tftp upload directory \(upload) is not a directory yet: write requests get ERROR 2 until it is")
        }
        for vendor in options.unmatchedVendorClasses {
            logger.warning("tftp client class vendor-class \(vendor) is not applied: TFTP cannot see DHCP option 60 yet")
        }
        let loops = try TFTPTransferLoops(count: options.transferThreads, busyPoll: options.busyPoll, logger: logger)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let registry = TFTPTransferRegistry(maxTransfers: options.maxTransfers,
                                            maxTransfersPerClient: options.maxTransfersPerClient,
                                            maxPendingOpens: options.maxPendingOpens)
        let shared = TFTPListenerHandler.Shared(
            options: options, registry: registry,
            metrics: TFTPMetrics(), threadPool: threadPool, group: group, loops: loops, logger: logger,
            flightRecorder: flightRecorder)
        var listeners: [any Channel] = []
        var port = options.port
        for address in options.addresses {
            do {
                // No SO_REUSEADDR: on UDP it lets a second server bind the same address and
                // port and take part of the read requests; a busy port must fail (issue 14).
                let listener = try await DatagramBootstrap(group: group)
                    .channelOption(.receivePacketInfo, value: true)
                    .channelOption(.datagramVectorReadMessageCount, value: 32)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let recorder = shared.flightRecorder, recorder.isEnabled {
                                try channel.pipeline.syncOperations.addHandler(FlightRecorderTap(recorder: recorder, interface: "tftp"))
                            }
                            try channel.pipeline.syncOperations.addHandler(TFTPListenerHandler(shared: shared))
                        }
                    }
                    .bind(host: address, port: port).get()
                listeners.append(listener)
                port = listener.localAddress?.port ?? port  // port 0: the others on the same one
                logger.info("tftp listening on \(address):\(port) root=\(options.root) uploads=\(options.uploadDirectory ?? "disabled") max-blksize=\(options.transfer.maxBlockSize) max-windowsize=\(options.transfer.maxWindowSize)")
            } catch {
                for listener in listeners { try? await listener.close() }
                await loops.stop()
                try? await threadPool.shutdownGracefully()
                throw ListenError(service: "tftp", host: address, port: port, transport: "UDP", error: error)
            }
        }
        if listeners.isEmpty {
            logger.error("tftp: no address to listen on (see the warnings above); TFTP is not served")
            try? await gracefulShutdown()
        }
        await ChannelShutdown.waitClosed(listeners)
        for channel in registry.closeAll() { channel.close(promise: nil) }
        await loops.stop()
        try? await threadPool.shutdownGracefully()
        logger.info("tftp stopped")
    }
}
