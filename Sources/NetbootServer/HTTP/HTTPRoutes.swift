import BootServices
import NIOCore
import NetbootWire

/// What a request is answered with, before anything is written.
enum HTTPAnswer {
    /// A small generated answer: status, fields, and a text body (nil: `<code> <reason>\n`
    /// for 3xx and above, empty otherwise).
    case text(status: Int, contentType: String = "text/plain; charset=utf-8",
              fields: [(StaticString, String)] = [], body: String? = nil, close: Bool = false)
    /// A file under the root; ``HTTPFileLookup`` decides the rest where files are opened.
    case file(RequestTarget)
    /// An iPXE script whose session (local disk, enrollment token) is decided off the event
    /// loop by ``HTTPService/Options/bootSessions``.
    case bootScript(IPXEBootMenu.Client)
}

/// Where a request goes: `/healthz`, `/metrics`, `/boot/ipxe`, else a file under the root.
/// The method check comes first (GET and HEAD only), then the target (``RequestTarget``).
struct HTTPRoutes: Sendable {
    let options: HTTPService.Options

    /// - Parameters:
    ///   - client: the peer's address (substituted for `{ip}` in iPXE scripts).
    ///   - local: our address, the authority for URLs in scripts when the request has no usable Host.
    func answer(_ head: RequestHead, client: String, local: @autoclosure () -> SocketAddress?) -> HTTPAnswer {
        guard head.method == .get || head.method == .head else {
            // A body may follow that we will not read: answer, then close.
            return .text(status: 405, fields: [("Allow", "GET, HEAD")], close: true)
        }
        let target: RequestTarget
        do {
            target = try RequestTarget(head.target)
        } catch {
            return .text(status: error.status)
        }
        switch target.segments.count {
        case 1 where target.segments[0] == "healthz":
            return .text(status: 200, body: "ok\n")
        case 1 where target.segments[0] == "metrics":
            guard let registry = options.metricsRegistry else { return .text(status: 404) }
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return .text(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                         fields: [("Cache-Control", "no-store")], body: MetricHelp.annotate(String(decoding: bytes, as: UTF8.self)))
        case 2 where target.segments[0] == "boot" && target.segments[1] == "ipxe":
            let bootClient = IPXEBootMenu.Client(mac: target.queryValue("mac").flatMap(MACAddress.init), ip: client,
                                                 server: Self.authority(host: head.host, local: local()))
            if options.bootSessions != nil { return .bootScript(bootClient) }
            return .text(status: 200, fields: [("Cache-Control", "no-store")], body: options.ipxe.script(for: bootClient))
        default:
            return .file(target)
        }
    }

    /// `/healthz`, with or without a query: a monitor's probe, left out of the access log unless
    /// ``HTTPService/Options/accessLogHealthChecks``.
    static func isHealthCheck(_ target: String) -> Bool {
        target == "/healthz" || target.hasPrefix("/healthz?")
    }

    /// The answers a file lookup gives besides a file.
    static func answer(for lookup: HTTPFileLookup, target: RequestTarget) -> HTTPAnswer? {
        switch lookup {
        case .response:
            return nil
        case .redirect:
            // Re-encoded: the decoded path may hold CR/LF or other bytes not allowed in a field.
            let path = target.segments.map(HTTPDirectoryListing.percentEncode).joined(separator: "/")
            let query = target.query.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) && !target.query.isEmpty
                ? "?" + target.query : ""
            return .text(status: 301, fields: [("Location", "/" + path + "/" + query)])
        case let .listing(names):
            return .text(status: 200, contentType: "text/html; charset=utf-8",
                         body: HTTPDirectoryListing.html(path: target.path, names: names))
        case let .status(code):
            return .text(status: code)
        }
    }

    /// The Host the client used when it is a plain authority, else our address and port.
    static func authority(host: String?, local: SocketAddress?) -> String {
        if let host, !host.isEmpty, host.utf8.count < 256,
           host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) {
            return host
        }
        let ip = local?.ipAddress ?? "localhost"
        let port = local?.port ?? 80
        return port == 80 ? ip : ip + ":" + String(port)
    }
}
