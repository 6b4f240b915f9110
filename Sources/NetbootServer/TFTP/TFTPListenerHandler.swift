import BootServices
import Logging
import NIOCore
import NIOPosix
import NetbootWire

/// Port 69: decodes each datagram, refuses what must be refused (ERROR sent from port 69, as
/// the first reply to a request may come from any port), and starts a transfer on its own
/// ephemeral socket for the rest. Garbage and non-request opcodes are dropped and counted.
final class TFTPListenerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    struct Shared: Sendable {
        var options: TFTPServiceOptions
        var registry: TFTPTransferRegistry
        var metrics: TFTPMetrics
        var threadPool: NIOThreadPool
        var group: any EventLoopGroup
        /// Where read transfers run.
        var loops: TFTPTransferLoops
        var logger: Logger
        /// Taps every datagram of the listener and the transfers (docs/capture.md).
        var flightRecorder: FlightRecorder? = nil

        /// What an ERROR from the listener carries so that the flight recorder records the
        /// address it leaves from (`local`, where the request went), nil when it records nothing.
        func answering(from local: SocketAddress?) -> AddressedEnvelope<ByteBuffer>.Metadata? {
            flightRecorder?.isEnabled == true ? FlightRecorderTap.answering(from: local) : nil
        }
    }

    private let shared: Shared
    private var scratch: [UInt8] = []

    init(shared: Shared) {
        self.shared = shared
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        scratch.removeAll(keepingCapacity: true)
        envelope.data.withUnsafeReadableBytes { scratch.append(contentsOf: $0) }
        let packet: TFTPPacket
        do {
            packet = try TFTPPacket(decoding: scratch)
        } catch {
            shared.metrics.dropped("malformed")
            shared.logger.debug("tftp dropped datagram from \(envelope.remoteAddress): \(error)",
                                metadata: [RepeatedLineFilter.kindKey: "malformed TFTP datagrams",
                                           RepeatedLineFilter.sourceKey: "\(envelope.remoteAddress.ipAddress ?? "?")"])
            return
        }
        let request: TFTPRequest
        let isWrite: Bool
        switch packet {
        case .readRequest(let r): request = r; isWrite = false
        case .writeRequest(let r): request = r; isWrite = true
        default:
            shared.metrics.dropped("unexpected_opcode")
            return
        }
        // The transfer socket answers from the address the request was sent to.
        var local = envelope.metadata?.packetInfo?.destinationAddress ?? context.channel.localAddress
        if let address = local?.ipAddress, let any = try? SocketAddress(ipAddress: address, port: 0) { local = any }
        handle(request, isWrite: isWrite, from: envelope.remoteAddress, local: local, context: context)
    }

    private func handle(_ request: TFTPRequest, isWrite: Bool, from client: SocketAddress, local: SocketAddress?,
                        context: ChannelHandlerContext) {
        let channel = context.channel
        let metrics = self.shared.metrics
        let log = self.shared.logger
        let answer = self.shared.answering(from: local)
        func refuse(_ code: TFTPErrorCode, _ reason: String, message: String? = nil) {
            metrics.refused(code.rawValue)
            log.notice("tftp refused \(isWrite ? "WRQ" : "RRQ") client=\(client.ipAddress ?? "?"):\(client.port ?? 0) file=\(request.filename) code=\(code.rawValue) reason=\(reason)")
            Self.sendError(code, message ?? reason, to: client, metadata: answer, on: channel)
        }
        guard request.mode == .octet || request.mode == .netascii else {
            // The reply never echoes what the client sent; the log shows it escaped and cut short.
            refuse(.illegalOperation, "unsupported mode \(String(reflecting: String(request.mode.rawValue.prefix(32))))",
                   message: "Unsupported transfer mode")
            return
        }
        let mapped: String
        switch shared.options.pathMapping.map(request.filename) {
        case .success(let path): mapped = path
        case .failure(let refusal):
            refuse(refusal.code, refusal.reason, message: refusal.code == .fileNotFound ? "File not found" : "Access violation")
            return
        }
        if isWrite, shared.options.uploadDirectory == nil {
            refuse(.accessViolation, "uploads are disabled", message: "Access violation: uploads are disabled")
            return
        }
        guard let local else {
            refuse(.notDefined, "no local address")
            return
        }
        let key = TFTPTransferRegistry.Key(client: client, filename: request.filename)
        switch shared.registry.admit(key) {
        case .admitted: break
        case .duplicate:
            shared.metrics.dropped("duplicate_request")
            return
        case .busy:
            shared.metrics.busy("transfers")
            refuse(.notDefined, "too many transfers", message: "Server busy, try again later")
            return
        case .clientBusy:
            shared.metrics.busy("client")
            refuse(.notDefined, "too many transfers from this client", message: "Server busy, try again later")
            return
        case .overloaded:
            shared.metrics.dropped("overload")
            return
        }
        let clientAddress = client.ipAddress.flatMap(IPv4Address.init)
        let clientClass = shared.options.transfer.clientClass(address: clientAddress, path: mapped)
        let limits = shared.options.transfer.limits(for: clientClass)
        let shared = self.shared
        shared.threadPool.runIfActive(eventLoop: context.eventLoop) { () -> TFTPOpenResult in
            if isWrite {
                guard let directory = shared.options.uploadDirectory.flatMap(TFTPFileAccess.realDirectory) else {
                    return .upload(.failure(TFTPPathMapping.Refusal(.accessViolation, "upload directory missing")))
                }
                return .upload(TFTPFileAccess.createUpload(directory: directory, relativePath: mapped))
            }
            guard let root = TFTPFileAccess.realDirectory(shared.options.root) else {
                return .read(.failure(TFTPPathMapping.Refusal(.fileNotFound, "root directory missing")))
            }
            return .read(TFTPFileAccess.openForReading(root: root, relativePath: mapped, mode: request.mode,
                                                       maxNetasciiSize: shared.options.maxNetasciiFileSize))
        }.whenComplete { result in
            shared.registry.opened(key)
            var setup = TFTPTransferContext(
                key: key, peer: client, request: request, mappedPath: mapped, clientClass: clientClass?.name,
                options: TFTPNegotiatedOptions(), configuration: shared.options.transfer, registry: shared.registry,
                metrics: shared.metrics, threadPool: shared.threadPool, logger: shared.logger, started: .now,
                segmentationOffload: shared.options.segmentationOffload, flightRecorder: shared.flightRecorder)
            switch result {
            case .failure:
                Self.refuseOpened(setup, shared: shared, .notDefined, "server shutting down", from: local, on: channel)
            case .success(.read(.failure(let refusal))), .success(.upload(.failure(let refusal))):
                Self.refuseOpened(setup, shared: shared, refusal.code, refusal.reason, from: local, on: channel)
            case .success(.read(.success(let file))):
                setup.options = TFTPNegotiation.negotiate(request.options, direction: .read(size: file.size),
                                                          limits: limits)
                Self.startRead(setup, file: file, local: local, shared: shared, listener: channel)
            case .success(.upload(.success(let upload))):
                setup.options = TFTPNegotiation.negotiate(request.options, direction: .write, limits: limits)
                let ready = setup
                Self.startTransfer(setup, local: local, shared: shared, listener: channel) {
                    TFTPWriteTransferHandler(setup: ready, upload: upload)
                } cleanup: {
                    TFTPFileAccess.discard(upload)
                }
            }
        }
    }

    private static func refuseOpened(_ setup: TFTPTransferContext, shared: Shared, _ code: TFTPErrorCode,
                                     _ reason: String, from local: SocketAddress, on channel: any Channel) {
        shared.registry.release(setup.key)
        shared.metrics.refused(code.rawValue)
        let client = setup.peer
        shared.logger.notice("tftp refused client=\(client.ipAddress ?? "?"):\(client.port ?? 0) file=\(setup.request.filename) code=\(code.rawValue) reason=\(reason)",
                             metadata: [RepeatedLineFilter.kindKey: "refused TFTP requests (error \(code.rawValue))",
                                        RepeatedLineFilter.sourceKey: "\(client.ipAddress ?? "?")"])
        let message = switch code {
        case .fileNotFound: "File not found"
        case .accessViolation: "Access violation"
        case .fileAlreadyExists: "File already exists"
        default: reason
        }
        sendError(code, message, to: client, metadata: shared.answering(from: local), on: channel)
    }

    /// Binds the read transfer's own socket (a fresh transfer ID) and hands it to a transfer loop.
    private static func startRead(_ setup: TFTPTransferContext, file: TFTPOpenedFile, local: SocketAddress,
                                  shared: Shared, listener: any Channel) {
        do {
            let socket = try TFTPTransferSocket(bindingTo: local, peer: setup.peer)
            shared.loops.next().submit(.start(setup, file, socket))
            shared.metrics.activeTransfers.record(shared.registry.count)
        } catch {
            file.close()
            shared.registry.release(setup.key)
            shared.logger.error("tftp cannot open a transfer socket on \(local): \(error)")
            sendError(.notDefined, "Server error", to: setup.peer, metadata: shared.answering(from: local), on: listener)
        }
    }

    /// Binds the write transfer's own socket (a fresh transfer ID) on the next event loop.
    private static func startTransfer(_ setup: TFTPTransferContext, local: SocketAddress, shared: Shared,
                                      listener: any Channel,
                                      handler: @escaping @Sendable () -> any ChannelHandler,
                                      cleanup: @escaping @Sendable () -> Void) {
        let key = setup.key
        DatagramBootstrap(group: shared.group.next())
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let recorder = shared.flightRecorder, recorder.isEnabled {
                        try channel.pipeline.syncOperations.addHandler(FlightRecorderTap(recorder: recorder, interface: "tftp"))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
            .bind(to: local)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    if !shared.registry.attach(key, channel: channel) { channel.close(promise: nil) }
                    shared.metrics.activeTransfers.record(shared.registry.count)
                case .failure(let error):
                    cleanup()
                    shared.registry.release(key)
                    shared.logger.error("tftp cannot open a transfer socket on \(local): \(error)")
                    sendError(.notDefined, "Server error", to: setup.peer, metadata: shared.answering(from: local),
                              on: listener)
                }
            }
    }

    static func sendError(_ code: TFTPErrorCode, _ message: String, to client: SocketAddress,
                          metadata: AddressedEnvelope<ByteBuffer>.Metadata? = nil, on channel: any Channel) {
        let bytes = TFTPPacket.error(code: code, message: message).encoded()
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: buffer, metadata: metadata), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shared.logger.debug("tftp listener: \(error)")
    }
}

/// The thread pool's answer to "open this".
enum TFTPOpenResult: Sendable {
    case read(Result<TFTPOpenedFile, TFTPPathMapping.Refusal>)
    case upload(Result<TFTPUploadFile, TFTPPathMapping.Refusal>)
}

@available(*, unavailable)
extension TFTPListenerHandler: Sendable {}
