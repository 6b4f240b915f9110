import BootImages
import BootServices
import Foundation
import Logging
import NetbootConfig
import NetbootStore
import NetbootWire
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The DHCP service (RFC 2131, issue 3 item 2): one UDP socket on `dhcp.port` per configured
/// interface (`SO_BINDTODEVICE`, so each reply leaves where its request came in and carries that
/// interface's server identifier), plus UDP 4011 for proxyDHCP REQUESTs in `mode: proxy`. Every
/// decision comes from `DHCPServerCore`; this type only wires sockets, store and logs.
public struct DHCPService: Service {
    let configuration: NetbootConfiguration
    let reloads: Reloads?
    let flightRecorder: FlightRecorder?
    /// Where the control socket finds the lease engine, the store and the served catalog.
    let state: ApplianceState?
    let logger: Logger

    public init(configuration: NetbootConfiguration, reloads: Reloads? = nil, flightRecorder: FlightRecorder? = nil,
                state: ApplianceState? = nil, logger: Logger) {
        self.configuration = configuration
        self.reloads = reloads
        self.flightRecorder = flightRecorder
        self.state = state
        self.logger = logger
    }

    /// The core for this configuration, with the store's lease records and BSDP bindings.
    static func makeCore(_ configuration: NetbootConfiguration, leases: [DHCPLease], catalog: ImageCatalog,
                         bindings: [BSDPBinding]) -> DHCPServerCore {
        let mode: DHCPServerCore.Mode = configuration.dhcp.mode == .authoritative ? .authoritative : .proxy
        let bsdp = configuration.bsdp.enabled
            ? BSDPResponder(configuration: bsdpConfiguration(configuration), catalog: catalog, bindings: bindings) : nil
        return DHCPServerCore(mode: mode, pool: DHCPPoolConfiguration(configuration.dhcp), leases: leases,
                              pxe: PXEResponder(configuration: PXEResponder.Configuration(configuration.pxe)), bsdp: bsdp)
    }

    /// Names each of the pool's `count` threads, and puts each in the real-time class at
    /// `realtime` (`ProcessPriority.realtime`, 0: not): every task waits until all have
    /// started, so each runs on a thread of its own. The first refusal, if any.
    static func nameThreads(of pool: NIOThreadPool, count: Int, _ name: String, realtime: Int = 0) async -> String? {
        let barrier = NSCondition()
        nonisolated(unsafe) var arrived = 0
        return await withTaskGroup(of: String?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let refused = try? await pool.runIfActive { () -> String? in
                        ProcessPriority.name(name)
                        let refused = ProcessPriority.realtime(priority: realtime)
                        let deadline = Date() + 2  // a pool shutting down meanwhile does not hang the start
                        barrier.withLock {
                            arrived += 1
                            barrier.broadcast()
                            while arrived < count && barrier.wait(until: deadline) {}
                        }
                        return refused
                    }
                    return refused ?? nil
                }
            }
            var first: String?
            for await refused in group where first == nil { first = refused }
            return first
        }
    }

    /// Paths of the images directory as the TFTP and HTTP services see it.
    static func bsdpConfiguration(_ c: NetbootConfiguration) -> BSDPResponder.Configuration {
        BSDPResponder.Configuration(
            serverPriority: UInt16(clamping: c.bsdp.serverPriority),
            serverName: ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init),
            tftpPathPrefix: relative(c.imagesDir, under: c.tftp.root).map { $0.isEmpty ? "" : $0 + "/" } ?? "",
            httpBasePath: relative(c.imagesDir, under: c.http.root).map { $0.isEmpty ? "" : "/" + $0 } ?? "",
            nfsExportPath: (c.imagesDir as NSString).standardizingPath,
            honoursSiteSelections: c.store.isShared, loadCapacity: c.bsdp.loadCapacity,
            loadWindow: TimeInterval(c.bsdp.loadWindow))
    }

    /// `path` relative to `root` ("" when equal), nil when it is not under it.
    static func relative(_ path: String, under root: String) -> String? {
        let p = (path as NSString).standardizingPath, r = (root as NSString).standardizingPath
        if p == r { return "" }
        return p.hasPrefix(r + "/") ? String(p.dropFirst(r.count + 1)) : nil
    }

    /// The catalog of ``ServedImages`` (host names resolved as `netboot images list` resolves
    /// them), scanned on a thread-pool thread because the system resolver blocks.
    static func scanCatalog(_ configuration: NetbootConfiguration) async -> ImageCatalog {
        (try? await NIOThreadPool.singleton.runIfActive { ServedImages.catalog(configuration) })
            ?? ServedImages.catalog(configuration, resolver: LiteralHostResolver())
    }

    public func run() async throws {
        let (endpoints, problems) = DHCPEndpoint.resolve(configuration)
        for problem in problems { logger.warning("dhcp: \(problem)") }
        guard !endpoints.isEmpty else {
            // Not fatal for the other services: say so and stay idle until shutdown.
            logger.error("dhcp: no interface with an IPv4 address to listen on (interfaces: \(configuration.interfaces)); DHCP, BSDP and PXE are not served")
            try? await gracefulShutdown()
            return
        }
        let store: any StoreBackend
        let leases: [DHCPLease]
        let bindings: [BSDPBinding]
        do {
            // Migrations run at start (docs/store.md); a PostgreSQL store must be reachable now.
            store = try ConfiguredStore.open(configuration, migrate: true, logger: logger)
            leases = configuration.dhcp.mode == .authoritative ? try store.allLeases() : []
            bindings = try store.allBindings().map {
                BSDPBinding(mac: $0.mac, imageID: $0.imageID, serverIdentifier: $0.serverIdentifier, selectedAt: $0.selectedAt)
            }
        } catch {
            throw ServiceStartError(service: "dhcp", what: "the lease store \(ConfiguredStore.location(configuration))",
                                    reason: "\(error)")
        }
        var catalog = await Self.scanCatalog(configuration)
        if configuration.bsdp.enabled {
            logger.info("bsdp: \(catalog.enabledImages.count) image(s) in \(configuration.imagesDir), \(bindings.count) client binding(s)")
            logCatalogChange(from: ImageCatalog(directory: configuration.imagesDir), to: catalog)
        }
        let bootFileRoots = ServedImages.bootFileRoots(configuration)
        for (arch, file) in ServedImages.bootFiles(configuration).missing(in: bootFileRoots, fileSystem: LocalFileSystem()) {
            logger.warning("pxe: boot file for \(arch.rawValue) not found: \(file) (looked in \(bootFileRoots.joined(separator: " and ")))")
        }
        let core = DHCPCoreBox(Self.makeCore(configuration, leases: leases, catalog: catalog, bindings: bindings))
        state?.attach(core: core, store: store)
        if configuration.bsdp.enabled { state?.publish(catalog) }
        let metrics = DHCPMetrics()
        let outage = StoreOutageBox()

        // DHCP's own event loop and lease-store thread, shared with no other service: they sleep
        // until a request comes, and run at the appliance's priority, ahead of the HTTP loops'
        // image traffic (`ProcessPriority`, issue 21). Named so that `top -H` tells them apart.
        // With `dhcp.realtime-priority` (default 1) both run in the real-time round-robin class,
        // ahead of every normal thread of the machine (docs/performance.md, "DHCP while imaging").
        let realtime = configuration.dhcp.realtimePriority
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loopRefused = (try? await group.next().submit { () -> String? in
            ProcessPriority.name("dhcp-loop")
            return ProcessPriority.realtime(priority: realtime)
        }.get()) ?? nil
        // One store thread per commit in flight: one with SQLite, `store.pool` − 1 with PostgreSQL.
        let storeThreads = max(1, store.concurrentCommits)
        let threadPool = NIOThreadPool(numberOfThreads: storeThreads)
        threadPool.start()
        let storeRefused = await Self.nameThreads(of: threadPool, count: storeThreads, "dhcp-store", realtime: realtime)
        if let refused = loopRefused ?? storeRefused {
            logger.notice("dhcp: threads stay in the normal scheduling class: real-time priority \(realtime) was refused (\(refused)); it needs root or CAP_SYS_NICE (dhcp.realtime-priority: 0 turns it off)")
        }
        var channels: [any Channel] = []
        do {
            var ports = [UInt16(clamping: configuration.dhcp.port)]
            if configuration.dhcp.mode == .proxy { ports.append(PXEResponder.proxyPort) }
            for endpoint in endpoints {
                let linkSender: RawLinkSender?
                do {
                    linkSender = try RawLinkSender(interfaceName: endpoint.name)
                } catch {
                    logger.warning("dhcp: no link-layer sender on \(endpoint.name) (\(error)); such replies are broadcast")
                    linkSender = nil
                }
                for port in ports {
                    try Task.checkCancellation()  // another service failed to start: open nothing more
                    let fd: CInt
                    do {
                        fd = try InterfaceUDPSocket.open(interface: endpoint.name, port: port)
                    } catch {
                        throw ListenError(service: "dhcp", host: "0.0.0.0", port: Int(port), interface: endpoint.name,
                                          transport: "UDP", error: error)
                    }
                    let handler = DHCPChannelHandler(
                        core: core, endpoint: endpoint, localPort: port, store: store, threadPool: threadPool,
                        linkSender: linkSender, logger: logger, metrics: metrics, outage: outage,
                        flightRecorder: flightRecorder?.isEnabled == true ? flightRecorder : nil,
                        commitDelay: .microseconds(Int64(configuration.dhcp.commitDelayMicroseconds)))
                    let channel = try await DatagramBootstrap(group: group)
                        .channelOption(.datagramVectorReadMessageCount, value: 32)
                        .channelOption(.maxMessagesPerRead, value: 1)
                        // The flight recorder records a broadcast as sent to 255.255.255.255.
                        .channelOption(.receivePacketInfo, value: flightRecorder?.isEnabled == true)
                        .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
                        .channelInitializer { [flightRecorder] channel in
                            channel.eventLoop.makeCompletedFuture {
                                // Datagrams through the socket; the handler records link-layer replies.
                                if let flightRecorder, flightRecorder.isEnabled {
                                    try channel.pipeline.syncOperations.addHandler(
                                        FlightRecorderTap(recorder: flightRecorder, interface: endpoint.name,
                                                          address: endpoint.address))
                                }
                                try channel.pipeline.syncOperations.addHandler(handler)
                            }
                        }
                        .withBoundSocket(fd).get()
                    channels.append(channel)
                    logger.info("dhcp (\(configuration.dhcp.mode.rawValue)) listening on \(endpoint) port \(port)")
                }
            }
            // Pool gauges: recomputed every 5 s (O(leases)), not per packet.
            let poolGauges: RepeatedTask? = configuration.dhcp.mode == .authoritative
                ? group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(5)) { _ in
                    metrics.record(core.poolUsage(now: Date()))
                } : nil
            defer { poolGauges?.cancel() }
            // A shared store: other appliances' BSDP selections, re-read off the event loop.
            let bindingRefresh = BindingRefresh.start(configuration, core: core, store: store,
                                                      on: group.next(), logger: logger)
            defer { bindingRefresh?.cancel() }
            if let reloads, configuration.bsdp.enabled {
                for await _ in reloads.subscribe().cancelOnGracefulShutdown() {
                    let rescanned = await Self.scanCatalog(configuration)
                    core.replaceCatalog(rescanned)
                    logger.info("bsdp: rescanned \(configuration.imagesDir): \(rescanned.enabledImages.count) image(s)")
                    logCatalogChange(from: catalog, to: rescanned)
                    catalog = rescanned
                    state?.publish(rescanned)
                }
            }
            // The reload stream also ends when the SIGHUP service stops, which is shut down
            // before this one (reverse start order): returning then would be "finished
            // unexpectedly" to the service group while later services still stop (issue 14).
            // Wait for this service's own turn, or cancellation.
            try? await gracefulShutdown()
        } catch {
            await close(channels, group: group, threadPool: threadPool)
            logger.info("dhcp stopped")
            throw error
        }
        await close(channels, group: group, threadPool: threadPool)
        logger.info("dhcp stopped")
    }

    /// The seed's greppable lines (`New image distributed: NAME`, …) for what changed.
    private func logCatalogChange(from old: ImageCatalog, to new: ImageCatalog) {
        for line in CatalogChange(from: old, to: new).logLines { logger.info("\(line)") }
    }

    private func close(_ channels: [any Channel], group: MultiThreadedEventLoopGroup, threadPool: NIOThreadPool) async {
        for channel in channels { try? await channel.close() }
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}
