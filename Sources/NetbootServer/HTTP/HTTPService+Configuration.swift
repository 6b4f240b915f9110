import BootImages
import BootServices
import BridgeCore
import Foundation
import NIOCore
import NetbootConfig
import Prometheus

extension HTTPService.Options {
    /// Options from the `http:` section, with `/boot/ipxe` rendering the PXE image set of
    /// ``ServedImages`` (the one loader `netboot images list` uses too) and `/metrics` rendering
    /// `metrics`.
    ///
    /// Image paths are relative to the images directory (`pxe/<name>/vmlinuz`), which is the
    /// HTTP root in the default configuration (`images-dir: images`, `http.root: images`).
    public init(_ configuration: NetbootConfiguration, metrics: PrometheusCollectorRegistry?) {
        let http = configuration.http
        self.init(root: http.root, port: http.port)
        directoryListing = http.directoryListing
        limits.maxConnections = http.maxConnections
        limits.maxConnectionsPerClient = http.maxConnectionsPerClient
        limits.maxRequestLineBytes = http.maxRequestLine
        limits.maxHeaderBytes = http.maxHeaderBytes
        limits.idleTimeout = .seconds(Int64(http.idleTimeout))
        limits.requestTimeout = .seconds(Int64(http.requestTimeout))
        accessLog = http.accessLog
        accessLogHealthChecks = http.accessLogHealthChecks
        redactQueries = http.accessLogQueries == .redact
        niceOffset = http.niceOffset
        metricsRegistry = metrics
        ipxe = IPXEBootMenu(imageSet: ServedImages.pxeImageSet(configuration))
        if let discovery = BridgeDiscovery(configuration) {
            ipxe.discovery = IPXEDiscovery(variables: discovery.ipxeVariables(host: "{host}"),
                                           kernelArguments: discovery.kernelArguments(host: "{host}"))
        }
    }
}

extension BridgeDiscovery {
    /// The bridge's discovery values when `bridge.enabled` (docs/bridge.md, "Discovery"): its
    /// ports, scheme and the fingerprint of its certificate (`bridge.certificate`, or the
    /// self-signed one in `state-dir`, made by the bridge before the HTTP service starts).
    init?(_ configuration: NetbootConfiguration) {
        let bridge = configuration.bridge
        guard bridge.enabled else { return nil }
        var fingerprint: String?
        if !bridge.plainHTTP {
            let path = bridge.certificate.isEmpty
                ? (configuration.stateDir as NSString).appendingPathComponent("bridge-cert.pem") : bridge.certificate
            fingerprint = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(BridgeDiscovery.fingerprint(pem:))
        }
        self.init(clientPort: bridge.clientPort, consolePort: bridge.consolePort,
                  scheme: bridge.plainHTTP ? "http" : "https", fingerprint: fingerprint)
    }
}
