import NetbootWire

/// `http:` — the HTTP/1.1 image server (issue 5): files under `root`, `/metrics`, `/healthz`,
/// iPXE scripts, with limits on request size, slow and idle clients and connections.
extension NetbootConfiguration {
    public struct HTTP: Sendable, Equatable {
        public var enabled: Bool = true
        public var port: Int = 80
        /// Addresses to listen on; empty (the default) = the IPv4 addresses of the served
        /// `interfaces`, `[0.0.0.0]` = every address of the host (docs/http.md, "Where it listens").
        public var listen: [IPv4Address] = []
        /// The directory served.
        public var root: String = "images"
        /// Whether a GET on a directory lists it; off by default.
        public var directoryListing: Bool = false
        /// Connections served at once; more are accepted and closed at once.
        public var maxConnections: Int = 1024
        /// Connections from one client address at once; more are answered 503 and closed.
        public var maxConnectionsPerClient: Int = 32
        /// The longest request line, in bytes (414 past it).
        public var maxRequestLine: Int = 8192
        /// The most bytes of request line and headers together (431 past them).
        public var maxHeaderBytes: Int = 16384
        /// Seconds a kept-alive connection may stay silent before it is closed.
        public var idleTimeout: Int = 60
        /// Seconds a client has to send a complete request head, from accept or from the head's
        /// first byte (slower heads get 408 and are closed).
        public var requestTimeout: Int = 10
        /// One log line per request.
        public var accessLog: Bool = true
        /// Also log `/healthz` requests.
        public var accessLogHealthChecks: Bool = false
        /// How the access log writes query strings.
        public var accessLogQueries: QueryLogging = .redact
        /// How much nicer than the appliance's `nice` the HTTP event loops run, so that DHCP and
        /// TFTP answer ahead of the image downloads (issue 21); 0 = the same priority.
        public var niceOffset: Int = 5

        /// How the access log writes a request's query string.
        public enum QueryLogging: String, Sendable, Equatable, CaseIterable {
            /// Every value as `***` (`?token=***&mac=***`).
            case redact
            /// As sent.
            case full
        }

        public init() {}

        static func read(_ r: MappingReader) -> HTTP {
            let d = HTTP()
            var s = HTTP()
            s.enabled = r.bool("enabled", default: d.enabled)
            s.port = r.int("port", default: d.port, in: 1...65535)
            s.listen = r.listenAddresses("listen")
            s.root = r.path("root", default: d.root)
            s.directoryListing = r.bool("directory-listing", default: d.directoryListing)
            s.maxConnections = r.int("max-connections", default: d.maxConnections, in: 1...1_000_000)
            s.maxConnectionsPerClient = r.int("max-connections-per-client", default: d.maxConnectionsPerClient,
                                              in: 1...1_000_000)
            s.maxRequestLine = r.int("max-request-line", default: d.maxRequestLine, in: 256...1_048_576)
            s.maxHeaderBytes = r.int("max-header-bytes", default: d.maxHeaderBytes, in: 1024...1_048_576)
            s.idleTimeout = r.int("idle-timeout", default: d.idleTimeout, in: 1...86400)
            s.requestTimeout = r.int("request-timeout", default: d.requestTimeout, in: 1...3600)
            s.accessLog = r.bool("access-log", default: d.accessLog)
            s.accessLogHealthChecks = r.bool("access-log-health-checks", default: d.accessLogHealthChecks)
            s.accessLogQueries = r.word("access-log-queries", default: d.accessLogQueries)
            s.niceOffset = r.int("nice-offset", default: d.niceOffset, in: 0...19)
            if s.maxRequestLine > s.maxHeaderBytes {
                r.log.error("\(r.name("max-request-line")): \(s.maxRequestLine) is larger than \(r.name("max-header-bytes")) (\(s.maxHeaderBytes))",
                            at: r.mark(of: "max-request-line"), rule: .conflict)
            }
            return s
        }
    }
}
