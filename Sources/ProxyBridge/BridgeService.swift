import BridgeCore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NetbootConfig
import NetbootStore
import ServiceLifecycle
import Synchronization

/// The proxy bridge as services for a `ServiceGroup` (DESIGN §8): one Hummingbird application
/// per port, both over the same store and certificate. `netboot serve` adds them to the
/// appliance's group when `bridge.enabled` is true; `netboot bridge` runs them alone.
public struct ProxyBridge: Sendable {
    public let services: [any Service]
    /// The certificate's SHA-256 fingerprint; nil with `plain-http`.
    public let fingerprint: String?
    /// The bridge's URL parts and fingerprint for booting machines (docs/bridge.md, "Discovery").
    public let discovery: BridgeDiscovery
    public let store: any BridgeRecords

    /// Opens the store, loads or makes the certificate (logging its fingerprint, or a warning
    /// for plain HTTP) and builds both ports. Throws on a store or certificate it cannot use.
    /// `reportBatch` is the most reports one transaction commits (1: one commit per report, for
    /// the benchmark's comparison; scripts/bench/bridge).
    /// `appliance` answers the image and lease-release routes (``ApplianceLink``); without one
    /// they answer 503. `records` is the store the caller opened for the configuration's
    /// `store:` (a shared PostgreSQL database); nil opens `state-dir/bridge.sqlite`.
    public init(configuration: NetbootConfiguration, logger: Logger, reportBatch: Int = 512,
                appliance: (any ApplianceLink)? = nil, records: (any BridgeRecords)? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) throws {
        let settings = configuration.bridge
        store = try records ?? BridgeStore(stateDirectory: configuration.stateDir)
        let scheme: String
        let server: HTTPServerBuilder
        let headTimeout = TimeAmount.seconds(Int64(settings.requestTimeout))
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestHeadDeadline(timeout: headTimeout)],
            idleTimeout: .seconds(Int64(settings.idleTimeout)),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: settings.maxHeaderBytes,
                                            maxHeaderListSize: settings.maxHeaderBytes, maxHeaderFieldCount: 100))
        if settings.plainHTTP {
            fingerprint = nil
            scheme = "http"
            server = .http1(configuration: http1)
            logger.warning("bridge: plain HTTP on ports \(settings.clientPort) and \(settings.consolePort) (bridge.plain-http: true): tokens cross the network unencrypted")
        } else {
            let certificate = try BridgeCertificate.load(certificate: settings.certificate, privateKey: settings.privateKey,
                                                         stateDirectory: configuration.stateDir)
            fingerprint = certificate.fingerprint
            scheme = "https"
            server = try .tls(.http1(configuration: http1), tlsConfiguration: certificate.serverConfiguration(clientCA: settings.clientCA))
            if !settings.clientCA.isEmpty {
                logger.notice("bridge: mutual TLS: console clients may present certificates signed by \(settings.clientCA) (role in OU)")
            }
            let origin = certificate.generated ? "self-signed, made now in \(configuration.stateDir)"
                : settings.certificate.isEmpty ? "self-signed, kept in \(configuration.stateDir)" : settings.certificate
            logger.notice("bridge: TLS certificate SHA-256 fingerprint \(certificate.fingerprint) (\(origin))")
        }
        discovery = BridgeDiscovery(clientPort: settings.clientPort, consolePort: settings.consolePort,
                                    scheme: scheme, fingerprint: fingerprint)
        ProxyBridge.writeZoneFile(discovery, stateDirectory: configuration.stateDir, logger: logger)
        let audit = AuditTrail(store: store, logger: logger)
        let rate = RateLimit(perSecond: Double(settings.rateLimit), burst: settings.rateBurst)
        let middleware = RoleMiddleware(routes: BridgeRoute.all, store: store, rate: rate, audit: audit,
                                        clientCertificates: !settings.plainHTTP && !settings.clientCA.isEmpty, now: now)
        let relay = !settings.upstream.isEmpty
        let committer = ReportCommitter(store: store, relay: relay, maxBatch: max(1, reportBatch), now: now)
        let client = ClientAPI(store: store, committer: committer, audit: audit, filesDirectory: settings.filesDir,
                               maxBodyBytes: settings.maxBodyBytes, relay: relay, now: now)
        let console = ConsoleAPI(store: store, audit: audit, stateDirectory: configuration.stateDir,
                                 maxBodyBytes: settings.maxBodyBytes, now: now)
        let applianceAPI: ApplianceAPI
        if settings.appliance.isEmpty {
            applianceAPI = ApplianceAPI(link: appliance ?? UnlinkedAppliance(), audit: audit, now: now)
        } else {
            let remote = try RemoteAppliance(url: settings.appliance, tokenFile: settings.applianceTokenFile,
                                             fingerprint: settings.applianceFingerprint, timeout: 30)
            applianceAPI = ApplianceAPI(link: remote, audit: audit, now: now, remote: remote)
            logger.notice("bridge: remote mode: images, leases and lease releases go to the appliance at \(settings.appliance)")
        }
        let runs = RunAPI(store: store, catalog: SequenceCatalog(directory: settings.sequencesDir, inventoryFile: settings.inventory),
                          audit: audit, maxBodyBytes: settings.maxBodyBytes,
                          imageServer: settings.appliance.isEmpty ? ImageServerLocation(configuration) : nil, now: now)
        let captures = ImageCaptureAPI(store: store, audit: audit, imagesDirectory: settings.appliance.isEmpty ? configuration.imagesDir : nil,
                                       maxImageBytes: settings.maxImageBytes)
        let runLogs = RunLogAPI(store: store, stateDirectory: configuration.stateDir, maxBodyBytes: settings.maxBodyBytes, audit: audit)
        let web = ConsoleWeb.make(store: store, appliance: applianceAPI, runs: runs, audit: audit, configuration: configuration,
                                  scheme: scheme, now: now)
        let escrow = EscrowAPI(store: store, seal: try EscrowKeyFile.load(stateDirectory: configuration.stateDir), audit: audit,
                               maxBodyBytes: settings.maxBodyBytes, now: now)
        var services: [any Service] = []
        for (port, number, handlers) in [(BridgeRoute.Port.client, settings.clientPort,
                                          client.handlers.merging(runs.clientHandlers) { a, _ in a }.merging(captures.handlers) { a, _ in a }
                                              .merging(runLogs.handlers) { a, _ in a }.merging(escrow.clientHandlers) { a, _ in a }),
                                         (.console, settings.consolePort, console.handlers.merging(applianceAPI.handlers) { $1 }.merging(runs.consoleHandlers) { a, _ in a }
                                              .merging(escrow.consoleHandlers) { a, _ in a })] {
            let router = try BridgeRouter.build(port: port, middleware: middleware, handlers: handlers)
            if port == .console { web.register(on: router) }
            let portLogger = {
                var portLogger = logger
                portLogger[metadataKey: "bridge.port"] = "\(port.rawValue)"
                return portLogger
            }()
            let address = settings.listenAddress
            services.append(Application(
                router: router, server: server,
                configuration: ApplicationConfiguration(address: .hostname(address, port: number), serverName: nil),
                onServerRunning: { channel in
                    let bound = channel.localAddress?.port ?? number
                    portLogger.notice("bridge: \(port.rawValue) port listening on \(scheme)://\(address):\(bound)")
                    if port == .console { portLogger.notice("bridge: web console: \(scheme)://\(address):\(bound)/console/") }
                },
                logger: portLogger))
        }
        services.append(RunGauges(store: store, interval: .seconds(5), logger: logger))
        if relay {
            services.append(try OutboxSender(store: store, url: settings.upstream, trustRoots: settings.upstreamCA,
                                             timeout: settings.upstreamTimeout, retryMax: settings.upstreamRetryMax,
                                             logger: logger, now: now))
        }
        self.services = services
    }

    /// The DNS-SD file name in the state directory.
    public static let zoneFile = "bridge-dns-sd.zone"

    /// Writes `state-dir/bridge-dns-sd.zone`: the `_netboot-bridge._tcp` PTR, SRV and TXT
    /// records for this host, for the site's DNS (docs/bridge.md, "Discovery").
    static func writeZoneFile(_ discovery: BridgeDiscovery, stateDirectory: String, logger: Logger) {
        let host = ProcessInfo.processInfo.hostName
        let domain = host.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init) ?? "local"
        let fqdn = host.contains(".") ? host : "\(host).\(domain)"
        let text = discovery.zoneRecords(instance: "netboot bridge \(host.split(separator: ".").first ?? "")", host: fqdn, domain: domain)
        let path = (stateDirectory as NSString).appendingPathComponent(zoneFile)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            logger.info("bridge: DNS-SD records for \(domain) written to \(path)")
        } catch {
            logger.warning("bridge: cannot write \(path): \(error)")
        }
    }
}
