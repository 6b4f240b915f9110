import BootImages
import BootServices
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
        metricsRegistry = metrics
        ipxe = IPXEBootMenu(imageSet: ServedImages.pxeImageSet(configuration))
    }
}
