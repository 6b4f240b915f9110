import BootEvents
import BootImages
import BootServices
import Foundation
import Logging
import NetbootStore
import NetbootWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The decision core shared by every interface's channel, behind a lock (the core is a value;
/// each datagram is one short critical section).
final class DHCPCoreBox: Sendable {
    private let core: NIOLockedValueBox<DHCPServerCore>

    init(_ core: DHCPServerCore) { self.core = NIOLockedValueBox(core) }

    func handle(_ bytes: [UInt8], receipt: DHCPReceipt, now: Date) -> DHCPExchange {
        core.withLockedValue { $0.handle(bytes, receipt: receipt, now: now) }
    }

    func replaceCatalog(_ catalog: ImageCatalog) {
        core.withLockedValue { $0.bsdp?.catalog = catalog }
    }

    /// A shared store's bindings, read at `readAt` (`BSDPResponder.merge`).
    func mergeBindings(_ stored: [BSDPBinding], readAt: Date) {
        core.withLockedValue { $0.bsdp?.merge(stored: stored, readAt: readAt) }
    }

    func adopt(_ leases: [DHCPLease]) {
        core.withLockedValue { core in leases.forEach { core.adopt($0) } }
    }

    /// The lease engine's records (authoritative mode; empty otherwise), for the control socket.
    var leaseRecords: [DHCPLease] {
        core.withLockedValue { $0.leases?.leases ?? [] }
    }

    /// Each subnet's pool usage at `now` (authoritative mode; empty in proxy mode).
    func poolUsage(now: Date) -> [DHCPPoolUsage] {
        core.withLockedValue { $0.leases?.poolUsage(now: now) ?? [] }
    }

    /// The menu name of the BSDP image with this id, else its id in hex.
    func imageName(_ id: UInt32) -> String {
        core.withLockedValue { core in
            core.bsdp?.catalog.images.first { $0.bootImageIDValue == id }?.name
        } ?? "0x" + String(id, radix: 16)
    }
}

/// The store's health as every listening socket's commits see it (`StoreOutage` behind a lock),
/// so that an outage is logged once for the whole service.
final class StoreOutageBox: Sendable {
    private let outage = NIOLockedValueBox(StoreOutage())

    func failed(reason: String, replies: Int, at now: Date) -> StoreOutage.Transition? {
        outage.withLockedValue { $0.commitFailed(reason: reason, replies: replies, at: now) }
    }

    func succeeded(at now: Date) -> StoreOutage.Transition? {
        outage.withLockedValue { $0.commitSucceeded(at: now) }
    }
}

/// The thin SwiftNIO shell of one listening socket: datagram in → `DHCPServerCore` → log line
/// and metrics → lease writes committed (batched per read burst, one transaction, off the event
/// loop) → replies sent only after their writes landed.
final class DHCPChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: all mutable state is touched on the channel's event loop only.
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let core: DHCPCoreBox
    private let endpoint: DHCPEndpoint
    private let localPort: UInt16
    private let store: (any LeaseStore & BSDPBindingStore)?
    private let threadPool: NIOThreadPool
    private let linkSender: RawLinkSender?
    private let logger: Logger
    private let metrics: DHCPMetrics
    /// Records the link-layer replies, which bypass the channel and its `FlightRecorderTap`.
    private let flightRecorder: FlightRecorder?
    private let outage: StoreOutageBox
    /// Decisions waiting for their writes to land, and the batches in flight: one transaction
    /// per batch; writes that arrive while `queue.limit` commits run wait and go in the next
    /// transaction together (group commit: one sync for the whole burst). A store with several
    /// connections (`LeaseStore.concurrentCommits`) runs that many batches at once, on disjoint
    /// addresses and Macs (`LeaseCommitQueue`).
    private var queue: LeaseCommitQueue<Waiting>
    /// A flush is scheduled for when the commit delay lets the waiting decisions start.
    private var heldFlush: Scheduled<Void>?

    /// One decision's replies and the BSDP binding change saved before they leave.
    private struct Waiting {
        var replies: [DHCPOutgoing]
        var bindingChange: BSDPBindingChange?
    }

    init(core: DHCPCoreBox, endpoint: DHCPEndpoint, localPort: UInt16, store: (any LeaseStore & BSDPBindingStore)?,
         threadPool: NIOThreadPool, linkSender: RawLinkSender?, logger: Logger, metrics: DHCPMetrics,
         outage: StoreOutageBox = StoreOutageBox(), flightRecorder: FlightRecorder? = nil, commitDelay: TimeAmount = .zero) {
        self.core = core
        self.endpoint = endpoint
        self.localPort = localPort
        self.store = store
        self.threadPool = threadPool
        self.linkSender = linkSender
        self.logger = logger
        self.metrics = metrics
        self.flightRecorder = flightRecorder
        self.outage = outage
        queue = LeaseCommitQueue(limit: store?.concurrentCommits ?? 1, delay: UInt64(max(0, commitDelay.nanoseconds)))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        let receipt = DHCPReceipt(
            interface: DHCPLeaseRequest.Interface(address: endpoint.address, subnet: endpoint.subnet),
            serverIdentifier: endpoint.serverIdentifier,
            sourcePort: UInt16(clamping: envelope.remoteAddress.port ?? 0), localPort: localPort,
            interfaceName: endpoint.name)
        let exchange = core.handle(bytes, receipt: receipt, now: Date())
        record(exchange, from: envelope.remoteAddress.ipAddress ?? "?")
        var outgoing: [DHCPOutgoing] = []
        if case .reply(let reply) = exchange.outcome { outgoing.append(reply) }
        outgoing += exchange.additional
        if exchange.writes.isEmpty && exchange.bindingChange == nil {
            // Written now, flushed with the rest of the read burst (`channelReadComplete`).
            for reply in outgoing { send(reply, context: context) }
        } else {
            let mac: MACAddress? = switch exchange.bindingChange {
            case .save(let binding)?: binding.mac
            case .remove(let mac, _)?: mac
            case nil: nil
            }
            queue.append(exchange.writes, bindingOf: mac, for: Waiting(replies: outgoing, bindingChange: exchange.bindingChange))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The burst's replies leave together: NIO sends pending datagrams with one `sendmmsg`.
        context.flush()
        flush(context: context)
    }

    private func flush(context: ChannelHandlerContext) {
        let now = NIODeadline.now().uptimeNanoseconds
        while case let (id, batch)? = queue.start(at: now) {
            guard let store else {
                queue.finished(id, at: now)
                logger.error("lease writes without a lease store: \(batch.count) replies withheld")
                continue
            }
            commit(batch, id: id, store: store, context: context)
        }
        // Held back by the commit delay: come back when it lets the batch start.
        if heldFlush == nil, let wake = queue.heldUntil(at: now) {
            let contextBox = NIOLoopBound(context, eventLoop: context.eventLoop)
            heldFlush = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(wake)) { [self] in
                heldFlush = nil
                flush(context: contextBox.value)
            }
        }
    }

    private func commit(_ pending: LeaseBatch<Waiting>, id: Int, store: any LeaseStore & BSDPBindingStore,
                        context: ChannelHandlerContext) {
        let changes = pending.waiting.compactMap { $0.bindingChange }
        let leases = pending.leases
        let exchanges = pending.exchanges
        let now = Date()
        let loop = context.eventLoop
        let commit = threadPool.runIfActive(eventLoop: loop) { () throws -> [LeaseCommitOutcome] in
            for change in changes {
                switch change {
                case .save(let binding):
                    try store.save(BSDPClientBinding(mac: binding.mac, imageID: binding.imageID,
                                                     serverIdentifier: binding.serverIdentifier, selectedAt: binding.selectedAt))
                case .remove(let mac, let server):
                    try store.removeBinding(for: mac, namingServer: server)
                }
            }
            return try store.commit(leases, exchanges: exchanges, now: now)
        }
        let contextBox = NIOLoopBound(context, eventLoop: loop)
        commit.whenComplete { [self] result in
            let context = contextBox.value
            queue.finished(id, at: NIODeadline.now().uptimeNanoseconds)
            defer { flush(context: context) }
            switch result {
            case .success(let outcomes):
                if case .cameBack(let duration, let withheld)? = outage.succeeded(at: Date()) {
                    logger.notice("lease store is back after \(Int(duration)) s (\(withheld) replies were withheld); acknowledging again")
                }
                let settled = pending.settle(outcomes)
                for waiting in settled.ready { waiting.replies.forEach { send($0, context: context) } }
                context.flush()
                for (waiting, holders) in settled.refused {
                    let outgoing = waiting.replies
                    core.adopt(holders)
                    metrics.refused.increment()
                    logger.warning("lease store refused a write (address held by another client); \(outgoing.map { "\($0.messageType)" }) withheld")
                }
            case .failure(let error):
                metrics.storeFailures.increment()
                // No ACK without a durable write: the replies are dropped, the clients retry.
                // Said once per outage; each later failure only at debug level.
                if case .wentDown(let reason)? = outage.failed(reason: "\(error)", replies: pending.count, at: Date()) {
                    logger.error("lease store commit failed: \(reason); no lease is acknowledged until it works again")
                } else {
                    logger.debug("lease store commit failed, \(pending.count) replies withheld: \(error)")
                }
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        heldFlush?.cancel()
        heldFlush = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A socket error (ICMP unreachable on a unicast reply, …) must not close the listener.
        logger.debug("socket error on \(endpoint.name): \(error)")
    }

    /// One log line per exchange. A drop names its kind and source, so that a flood of them
    /// from one address is summarised (`RepeatedLineFilter`) instead of filling the log.
    private func record(_ exchange: DHCPExchange, from source: String) {
        metrics.count(exchange)
        if case .reply = exchange.outcome, case .save(let binding)? = exchange.bindingChange {
            metrics.selected(image: core.imageName(binding.imageID))
        }
        let mac = exchange.client.map { "\($0)" } ?? "-"
        let received = exchange.received.map { "\($0)" } ?? "-"
        var decision = exchange.decisionLabel.uppercased()
        if case .reply(let outgoing) = exchange.outcome {
            decision += " → \(outgoing.destination.address):\(outgoing.destinationPort)"
            if case .linkLayer = outgoing.destination { decision += " (link-layer)" }
        }
        let line: Logger.Message = "\(endpoint.name) \(mac) \(received) \(exchange.core): \(decision) (\(exchange.reason))"
        BootEventFeed.shared.publish(BootEvent(at: Date(), service: .dhcp, mac: exchange.client == nil ? nil : mac, client: source,
                                               summary: "\(received) \(exchange.core): \(decision)", detail: "\(exchange.reason)"))
        switch exchange.outcome {
        case .drop(.malformed):
            logger.notice(line, metadata: [RepeatedLineFilter.kindKey: "malformed DHCP datagrams on \(endpoint.name)",
                                           RepeatedLineFilter.sourceKey: "\(source)"])
        case .drop:
            // Clients without an address all send from 0.0.0.0: their MAC tells them apart.
            let client = exchange.client.map { "\(source) (\($0))" } ?? source
            logger.info(line, metadata: [RepeatedLineFilter.kindKey: "DHCP datagrams dropped (\(exchange.reasonLabel)) on \(endpoint.name)",
                                         RepeatedLineFilter.sourceKey: "\(client)"])
        default:
            logger.info(line)
        }
    }

    private func send(_ outgoing: DHCPOutgoing, context: ChannelHandlerContext) {
        if case .linkLayer(let mac, let address) = outgoing.destination {
            if sendLinkLayer(outgoing, mac: mac, address: address) { return }
            // No raw sender (or it failed): fall back to a broadcast, which every client takes.
            sendDatagram(outgoing.bytes, to: .broadcast, port: outgoing.destinationPort, context: context)
            return
        }
        sendDatagram(outgoing.bytes, to: outgoing.destination.address, port: outgoing.destinationPort, context: context)
    }

    private func sendLinkLayer(_ outgoing: DHCPOutgoing, mac: MACAddress, address: IPv4Address) -> Bool {
        guard let linkSender, let source = endpoint.hardwareAddress else { return false }
        do {
            let frame = try UDPFrame.encode(sourceMAC: source, destinationMAC: mac, source: endpoint.address,
                                            destination: address, sourcePort: DHCPReplyDestination.serverPort,
                                            destinationPort: outgoing.destinationPort, payload: outgoing.bytes)
            if try linkSender.send(frame: frame) {
                flightRecorder?.record(frame: frame, direction: .sent, interface: endpoint.name)
                return true
            }
            metrics.sendFailures.increment()
            return false
        } catch {
            metrics.sendFailures.increment()
            logger.warning("link-layer reply to \(mac) failed: \(error)")
            return false
        }
    }

    /// Queues one datagram; the caller flushes (after a read burst or a commit's replies).
    private func sendDatagram(_ bytes: [UInt8], to address: IPv4Address, port: UInt16, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: Self.socketAddress(address, port: port), data: buffer)),
                      promise: nil)
    }

    /// `address:port` as a socket address, without the text round trip of `SocketAddress(ipAddress:port:)`.
    static func socketAddress(_ address: IPv4Address, port: UInt16) -> SocketAddress {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = address.rawValue.bigEndian
        return SocketAddress(sin, host: "")
    }
}
