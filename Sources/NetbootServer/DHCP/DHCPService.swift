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

    /// Paths of the images directory as the TFTP and HTTP services see it.
    static func bsdpConfiguration(_ c: NetbootConfiguration) -> BSDPResponder.Configuration {
        BSDPResponder.Configuration(
            serverPriority: UInt16(clamping: c.bsdp.serverPriority),
            serverName: ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init),
            tftpPathPrefix: relative(c.imagesDir, under: c.tftp.root).map { $0.isEmpty ? "" : $0 + "/" } ?? "",
            httpBasePath: relative(c.imagesDir, under: c.http.root).map { $0.isEmpty ? "" : "/" + $0 } ?? "",
            nfsExportPath: (c.imagesDir as NSString).standardizingPath)
    }

    /// `path` relative to `root` ("" when equal), nil when it is not under it.
    static func relative(_ path: String, under root: String) -> String? {
        let p = (path as NSString).standardizingPath, r = (root as NSString).standardizingPath
        if p == r { return "" }
        return p.hasPrefix(r + "/") ? String(p.dropFirst(r.count + 1)) : nil
    }

    static func scanCatalog(_ configuration: NetbootConfiguration) -> ImageCatalog {
        ImageCatalogScanner().scan(directory: configuration.imagesDir)
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
        let store = try SQLiteStore(stateDirectory: configuration.stateDir)
        let leases = configuration.dhcp.mode == .authoritative ? try store.allLeases() : []
        let bindings = try store.allBindings().map {
            BSDPBinding(mac: $0.mac, imageID: $0.imageID, serverIdentifier: $0.serverIdentifier, selectedAt: $0.selectedAt)
        }
        var catalog = Self.scanCatalog(configuration)
        if configuration.bsdp.enabled {
            logger.info("bsdp: \(catalog.enabledImages.count) image(s) in \(configuration.imagesDir), \(bindings.count) client binding(s)")
            logCatalogChange(from: ImageCatalog(directory: configuration.imagesDir), to: catalog)
        }
        let bootFiles = PXEBootFiles(bios: configuration.pxe.bios, uefiX64: configuration.pxe.uefiX64,
                                     uefiArm64: configuration.pxe.uefiArm64)
        for (arch, file) in bootFiles.missing(in: [configuration.tftp.root, configuration.http.root], fileSystem: LocalFileSystem()) {
            logger.warning("pxe: boot file for \(arch.rawValue) not found: \(file) (looked in \(configuration.tftp.root) and \(configuration.http.root))")
        }
        let core = DHCPCoreBox(Self.makeCore(configuration, leases: leases, catalog: catalog, bindings: bindings))
        state?.attach(core: core, store: store)
        if configuration.bsdp.enabled { state?.publish(catalog) }
        let metrics = DHCPMetrics()

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
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
                    let fd = try InterfaceUDPSocket.open(interface: endpoint.name, port: port)
                    let handler = DHCPChannelHandler(
                        core: core, endpoint: endpoint, localPort: port, store: store, threadPool: threadPool,
                        linkSender: linkSender, logger: logger, metrics: metrics)
                    let channel = try await DatagramBootstrap(group: group)
                        .channelOption(.datagramVectorReadMessageCount, value: 32)
                        .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
                        .channelInitializer { [flightRecorder] channel in
                            channel.eventLoop.makeCompletedFuture {
                                // Datagrams through the socket; link-layer replies bypass it.
                                if let flightRecorder, flightRecorder.isEnabled {
                                    try channel.pipeline.syncOperations.addHandler(
                                        FlightRecorderTap(recorder: flightRecorder, interface: endpoint.name))
                                }
                                try channel.pipeline.syncOperations.addHandler(handler)
                            }
                        }
                        .withBoundSocket(fd).get()
                    channels.append(channel)
                    logger.info("dhcp (\(configuration.dhcp.mode.rawValue)) listening on \(endpoint) port \(port)")
                }
            }
            if let reloads, configuration.bsdp.enabled {
                for await _ in reloads.subscribe().cancelOnGracefulShutdown() {
                    let rescanned = Self.scanCatalog(configuration)
                    core.replaceCatalog(rescanned)
                    logger.info("bsdp: rescanned \(configuration.imagesDir): \(rescanned.enabledImages.count) image(s)")
                    logCatalogChange(from: catalog, to: rescanned)
                    catalog = rescanned
                    state?.publish(rescanned)
                }
            } else {
                try? await gracefulShutdown()
            }
        } catch {
            await close(channels, group: group, threadPool: threadPool)
            throw error
        }
        await close(channels, group: group, threadPool: threadPool)
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
