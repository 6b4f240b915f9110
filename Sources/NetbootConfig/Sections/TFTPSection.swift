import NetbootWire

/// `tftp:` — the TFTP server (RFC 1350, 2347 options, 2348 blksize, 2349 timeout and tsize,
/// 7440 windowsize; issue 4). Read-only unless `upload-dir` is set.
extension NetbootConfiguration {
    public struct TFTP: Sendable, Equatable {
        /// RFC 2348's blksize range.
        public static let blksizeLimits = 8...65464

        public var enabled: Bool = true
        public var port: Int = 69
        /// Addresses to listen on; empty (the default) = the IPv4 addresses of the served
        /// `interfaces`, `[0.0.0.0]` = every address of the host (docs/tftp.md, "Where it listens").
        public var listen: [IPv4Address] = []
        /// The directory read requests are served from.
        public var root: String = "images"
        /// The largest blksize granted (RFC 2348); larger requests are clamped to it.
        public var maxBlksize: Int = 1468
        /// The largest windowsize granted (RFC 7440, 1–65535).
        public var maxWindowsize: Int = 64
        /// Where write requests land; nil (the default) refuses every WRQ with ERROR 2.
        public var uploadDir: String? = nil
        /// Seconds before the first retransmission (RFC 2349's range 1–255); doubled per retry.
        public var timeout: Int = 1
        /// Retransmissions of one packet before the transfer is abandoned.
        public var retries: Int = 5
        /// Send DATA windows as `UDP_SEGMENT` (GSO) writes, one `sendmsg` per up to 64 blocks;
        /// a route that refuses them gets plain datagrams automatically.
        public var segmentationOffload: Bool = true
        /// Transfers from one client address at once; more get ERROR 0 "server busy".
        public var maxTransfersPerClient: Int = 16
        /// Threads running read transfers; 0 picks the default (one per usable core, at most 64).
        public var transferThreads: Int = 0
        /// Microseconds a transfer thread polls before it sleeps while few transfers run
        /// (saves a lockstep transfer a wakeup per block); 0 never polls.
        public var busyPollMicroseconds: Int = 50
        /// Leading path parts removed from a requested file name before it is looked up in
        /// `root`, longest first: Apple firmware asks for `/private/tftpboot/NetBoot/…` paths.
        public var pathPrefixes: [String] = ["/private/tftpboot/NetBoot/NetBootSP0/", "/private/tftpboot/", "/tftpboot/"]
        /// blksize caps for some clients, first match wins (Apple's USB-C firmware needs 1460).
        public var clientClasses: [ClientClass] = [ClientClass(vendorClass: "AAPLBSDPC", maxBlksize: 1460)]

        public init() {}

        /// A class of TFTP clients with its own blksize cap, matched by the DHCP vendor class
        /// (option 60) the client last sent, by prefix, or by its address.
        public struct ClientClass: Sendable, Equatable {
            /// A prefix of the client's DHCP option 60 (`AAPLBSDPC`, `PXEClient:Arch:00007`).
            public var vendorClass: String?
            /// The client's address lies in this network.
            public var network: IPv4Subnet?
            /// The requested path (after `path-prefixes`) starts with this (case-insensitive).
            public var pathPrefix: String?
            /// The requested path (after `path-prefixes`) contains this (case-insensitive), e.g. `.nbi/`.
            public var pathContains: String?
            public var maxBlksize: Int
            /// A windowsize cap for the class; nil keeps `max-windowsize`.
            public var maxWindowsize: Int?

            public init(vendorClass: String? = nil, network: IPv4Subnet? = nil, pathPrefix: String? = nil,
                        pathContains: String? = nil, maxBlksize: Int, maxWindowsize: Int? = nil) {
                self.vendorClass = vendorClass
                self.network = network
                self.pathPrefix = pathPrefix
                self.pathContains = pathContains
                self.maxBlksize = maxBlksize
                self.maxWindowsize = maxWindowsize
            }
        }

        static func read(_ r: MappingReader) -> TFTP {
            let d = TFTP()
            var s = TFTP()
            s.enabled = r.bool("enabled", default: d.enabled)
            s.port = r.int("port", default: d.port, in: 1...65535)
            s.listen = r.listenAddresses("listen")
            s.root = r.path("root", default: d.root)
            s.maxBlksize = r.int("max-blksize", default: d.maxBlksize, in: blksizeLimits)
            s.maxWindowsize = r.int("max-windowsize", default: d.maxWindowsize, in: 1...65535)
            s.uploadDir = r.optionalPath("upload-dir")
            s.timeout = r.int("timeout", default: d.timeout, in: 1...255)
            s.retries = r.int("retries", default: d.retries, in: 0...100)
            s.segmentationOffload = r.bool("segmentation-offload", default: d.segmentationOffload)
            s.maxTransfersPerClient = r.int("max-transfers-per-client", default: d.maxTransfersPerClient, in: 1...65535)
            s.transferThreads = r.int("transfer-threads", default: d.transferThreads, in: 0...256)
            s.busyPollMicroseconds = r.int("busy-poll-us", default: d.busyPollMicroseconds, in: 0...1000)
            s.pathPrefixes = r.list("path-prefixes", default: d.pathPrefixes) { node, name in
                guard let text = Scalars.string(node, name, r.log) else { return nil }
                guard !text.isEmpty, !text.contains("\u{0}") else {
                    r.log.error("\(name): expected a path prefix, found '\(text)'", at: node.mark, rule: .invalidValue)
                    return nil
                }
                return text
            }
            s.clientClasses = r.list("client-classes", default: d.clientClasses) { node, name in
                let e = MappingReader(node, path: name, log: r.log)
                defer { e.finish() }
                let vendorClass = e.optionalString("vendor-class")
                let network = e.prefix("network")
                let pathPrefix = e.optionalString("path-prefix")
                let pathContains = e.optionalString("path-contains")
                let maxWindowsize = e.optionalInt("max-windowsize", in: 1...65535)
                guard let maxBlksize = e.require(e.optionalInt("max-blksize", in: blksizeLimits), "max-blksize") else { return nil }
                if !e.has("vendor-class"), !e.has("network"), !e.has("path-prefix"), !e.has("path-contains") {
                    e.log.error("\(name): needs vendor-class, network, path-prefix or path-contains to match clients",
                                at: node.mark, rule: .missingKey)
                    return nil
                }
                return ClientClass(vendorClass: vendorClass, network: network, pathPrefix: pathPrefix,
                                   pathContains: pathContains, maxBlksize: maxBlksize, maxWindowsize: maxWindowsize)
            }
            return s
        }
    }
}
