import BootImages
import BootServices
import NIOCore
import NetbootConfig
import Prometheus

extension HTTPService.Options {
    /// Options from the `http:` section, with `/boot/ipxe` rendering the PXE image set (the
    /// `pxe.images` the config declares, validated, or else the folders found under
    /// `<images-dir>/pxe/`, as `netboot images list` shows them) and `/metrics` rendering
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
        let pxe = configuration.pxe
        let set = pxe.images.isEmpty
            ? PXEImageSet.scan(imagesDirectory: configuration.imagesDir, defaultName: pxe.defaultImage)
            : PXEImageSet.validate(pxe.images.map {
                PXEImageDeclaration(name: $0.name, kernel: $0.kernel, initrd: $0.initrd, cmdline: $0.cmdline)
            }, defaultName: pxe.defaultImage, imagesDirectory: configuration.imagesDir)
        ipxe = IPXEBootMenu(imageSet: set)
    }
}
