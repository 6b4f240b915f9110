import BootServices
import NIOCore
import NetbootConfig
import Prometheus

extension HTTPService.Options {
    /// Options from the `http:` section, with `/boot/ipxe` rendering the `pxe:` image set and
    /// `/metrics` rendering `metrics`.
    ///
    /// PXE image files live under `images/pxe/<name>/`; with the default `http.root: images`
    /// their URL path is `pxe/<name>/<file>`. A kernel or initrd given as a URL (`http://…`) or
    /// an absolute path (`/…`) is used as it is.
    public init(_ http: NetbootConfiguration.HTTP, pxe: NetbootConfiguration.PXE, metrics: PrometheusCollectorRegistry?) {
        self.init(root: http.root, port: http.port)
        directoryListing = http.directoryListing
        limits.maxConnections = http.maxConnections
        limits.maxRequestLineBytes = http.maxRequestLine
        limits.maxHeaderBytes = http.maxHeaderBytes
        limits.idleTimeout = .seconds(Int64(http.idleTimeout))
        metricsRegistry = metrics
        func path(_ file: String, image: String) -> String {
            file.contains("://") || file.hasPrefix("/") ? file : "pxe/\(image)/\(file)"
        }
        ipxe = IPXEBootMenu(
            images: pxe.images.map { image in
                PXEImage(name: image.name, kernel: path(image.kernel, image: image.name),
                         initrds: image.initrd.map { [path($0, image: image.name)] } ?? [], cmdline: image.cmdline)
            },
            defaultImage: pxe.defaultImage
        )
    }
}
