import BootServices
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The TFTP server (RFC 1350, 2347, 2348, 2349, 7440) as a ServiceLifecycle `Service`:
/// a listener on `options.port` and one ephemeral socket per transfer (issue 4, docs/tftp.md).
public final class TFTPService: Service, Sendable {
    public enum StartError: Error, CustomStringConvertible {
        case noRoot(String)
        case noUploadDirectory(String)

        public var description: String {
            switch self {
            case .noRoot(let path): "tftp.root \(path) is not a directory"
            case .noUploadDirectory(let path): "tftp.upload-dir \(path) is not a directory"
            }
        }
    }

    private let options: TFTPServiceOptions
    private let logger: Logger
    private let group: any EventLoopGroup

    public init(options: TFTPServiceOptions, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.options = options
        self.logger = logger
        self.group = group
    }

    public func run() async throws {
        guard let realRoot = TFTPFileAccess.realDirectory(options.root) else { throw StartError.noRoot(options.root) }
        var realUpload: String?
        if let upload = options.uploadDirectory {
            guard let real = TFTPFileAccess.realDirectory(upload) else { throw StartError.noUploadDirectory(upload) }
            realUpload = real
        }
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let registry = TFTPTransferRegistry(maxTransfers: options.maxTransfers, maxPendingOpens: options.maxPendingOpens)
        let shared = TFTPListenerHandler.Shared(
            options: options, realRoot: realRoot, realUploadDirectory: realUpload, registry: registry,
            metrics: TFTPMetrics(), threadPool: threadPool, group: group, logger: logger)
        let listener: any Channel
        do {
            listener = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.receivePacketInfo, value: true)
                .channelOption(.datagramVectorReadMessageCount, value: 32)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(TFTPListenerHandler(shared: shared))
                    }
                }
                .bind(host: options.address, port: options.port).get()
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        logger.info("tftp listening on \(options.address):\(listener.localAddress?.port ?? options.port) root=\(realRoot) uploads=\(realUpload ?? "disabled") max-blksize=\(options.transfer.maxBlockSize) max-windowsize=\(options.transfer.maxWindowSize)")
        await withGracefulShutdownHandler {
            try? await listener.closeFuture.get()
        } onGracefulShutdown: {
            listener.close(promise: nil)
        }
        for channel in registry.closeAll() { channel.close(promise: nil) }
        try? await threadPool.shutdownGracefully()
        logger.info("tftp stopped")
    }
}
