/// `bridge:` — the proxy bridge (issue 15, docs/bridge.md): the authenticated HTTPS front door
/// for machines (client port, the seed's 8761) and consoles (console port, 8760). Off by
/// default, so a fresh install opens no new ports unasked.
extension NetbootConfiguration {
    public struct Bridge: Sendable, Equatable {
        /// Whether `netboot serve` runs the bridge in-process (`netboot bridge` runs it alone).
        public var enabled: Bool = false
        /// The address both ports listen on.
        public var listenAddress: String = "0.0.0.0"
        public var clientPort: Int = 8761
        public var consolePort: Int = 8760
        /// Serve plain HTTP instead of TLS (a warning is logged at start). Only for a lab
        /// network behind something else that terminates TLS.
        public var plainHTTP: Bool = false
        /// PEM certificate (chain) and key; both empty: a self-signed pair made on first start in
        /// `state-dir` (`bridge-cert.pem`, `bridge-key.pem`, mode 0600).
        public var certificate: String = ""
        public var privateKey: String = ""
        /// PEM CA certificates for mutual TLS: a console client may present a certificate
        /// signed by one of them instead of a token, its role in the subject's OU. Empty: off.
        public var clientCA: String = ""
        /// Where `GET /files/<name>` on the client port reads from (the client package).
        public var filesDir: String = "images/client"
        /// The task sequences machines may run through the bridge (issue 16 §6), and the
        /// inventory whose collections and deployments say which machine gets which.
        public var sequencesDir: String = "etc/sequences"
        public var inventory: String = "etc/inventory.yaml"
        /// The largest request body, in bytes (413 past it).
        public var maxBodyBytes: Int = 2_097_152
        /// The largest disk image a machine may send with `PUT /v1/runs/{id}/images/{name}`
        /// (a capture), in bytes as sent (compressed; 413 past it).
        public var maxImageBytes: Int = 274_877_906_944
        /// The most bytes of all request headers together (431 past them).
        public var maxHeaderBytes: Int = 16384
        /// Seconds a connection may stay silent before it is closed (slow and idle clients).
        public var idleTimeout: Int = 30
        /// Seconds a connection has to deliver a complete request head, from its start or the
        /// end of its previous response (slowloris clients are closed).
        public var requestTimeout: Int = 10
        /// Calls per second each caller (token, or address before one is presented) may make,
        /// and the burst allowed above that (429 past it).
        public var rateLimit: Int = 50
        public var rateBurst: Int = 100
        /// An `https://` URL that client reports and enrollments are forwarded to through the
        /// durable outbox; empty: no relay.
        public var upstream: String = ""
        /// PEM CA certificates trusted for the upstream; empty: the system's roots.
        public var upstreamCA: String = ""
        /// Seconds one delivery may take before it counts as failed and is retried.
        public var upstreamTimeout: Int = 10
        /// The longest wait between retries of an undelivered event, in seconds (delays double
        /// from 1 s up to this).
        public var upstreamRetryMax: Int = 300
        /// The console port of a remote appliance (`https://host:8760`) that this bridge forwards
        /// images, leases and lease releases to (docs/bridge.md, "Remote mode"); empty: the
        /// appliance on this host, reached through `state-dir`'s control socket.
        public var appliance: String = ""
        /// A file holding the token this bridge presents to the remote appliance.
        public var applianceTokenFile: String = ""
        /// The SHA-256 fingerprint of the remote appliance's certificate (as it logs it, as
        /// `openssl x509 -fingerprint -sha256` prints it): only that certificate is accepted.
        /// Empty: the system's roots and the host name are checked.
        public var applianceFingerprint: String = ""
        /// Put a one-time enrollment token for the booting MAC on the kernel line of every iPXE
        /// menu script (`netboot.token=`, docs/pxe.md "Enrollment token in the boot script"). The
        /// script goes over plain HTTP: off unless asked for.
        public var bootEnrollment: Bool = false
        /// Seconds a boot script's enrollment token stays valid (unused).
        public var bootEnrollmentTTL: Int = 1800

        public init() {}

        static func read(_ r: MappingReader) -> Bridge {
            let d = Bridge()
            var s = Bridge()
            s.enabled = r.bool("enabled", default: d.enabled)
            s.listenAddress = r.string("listen-address", default: d.listenAddress)
            s.clientPort = r.int("client-port", default: d.clientPort, in: 1...65535)
            s.consolePort = r.int("console-port", default: d.consolePort, in: 1...65535)
            s.plainHTTP = r.bool("plain-http", default: d.plainHTTP)
            s.certificate = r.string("certificate", default: d.certificate)
            s.privateKey = r.string("private-key", default: d.privateKey)
            s.clientCA = r.string("client-ca", default: d.clientCA)
            s.filesDir = r.path("files-dir", default: d.filesDir)
            s.sequencesDir = r.path("sequences-dir", default: d.sequencesDir)
            s.inventory = r.path("inventory", default: d.inventory)
            s.maxBodyBytes = r.int("max-body-bytes", default: d.maxBodyBytes, in: 1024...1_073_741_824)
            s.maxImageBytes = r.int("max-image-bytes", default: d.maxImageBytes, in: 1_048_576...(1 << 50))
            s.maxHeaderBytes = r.int("max-header-bytes", default: d.maxHeaderBytes, in: 1024...1_048_576)
            s.idleTimeout = r.int("idle-timeout", default: d.idleTimeout, in: 1...86400)
            s.requestTimeout = r.int("request-timeout", default: d.requestTimeout, in: 1...3600)
            s.rateLimit = r.int("rate-limit", default: d.rateLimit, in: 1...1_000_000)
            s.rateBurst = r.int("rate-burst", default: d.rateBurst, in: 1...1_000_000)
            if let node = r.node("upstream"), let text = Scalars.string(node, r.name("upstream"), r.log) {
                if text.isEmpty || (text.hasPrefix("https://") && text.count > 8 && !text.contains(where: \.isWhitespace)) {
                    s.upstream = text
                } else {
                    r.log.error("\(r.name("upstream")): expected an https:// URL or \"\", found '\(text)'", at: node.mark, rule: .invalidValue)
                }
            }
            s.upstreamCA = r.string("upstream-ca", default: d.upstreamCA)
            s.upstreamTimeout = r.int("upstream-timeout", default: d.upstreamTimeout, in: 1...600)
            s.upstreamRetryMax = r.int("upstream-retry-max", default: d.upstreamRetryMax, in: 1...86400)
            if let node = r.node("appliance"), let text = Scalars.string(node, r.name("appliance"), r.log) {
                if text.isEmpty || (text.hasPrefix("https://") && text.count > 8 && !text.contains(where: \.isWhitespace)) {
                    s.appliance = text
                } else {
                    r.log.error("\(r.name("appliance")): expected an https:// URL or \"\", found '\(text)'", at: node.mark, rule: .invalidValue)
                }
            }
            s.applianceTokenFile = r.string("appliance-token-file", default: d.applianceTokenFile)
            s.applianceFingerprint = r.string("appliance-fingerprint", default: d.applianceFingerprint)
            s.bootEnrollment = r.bool("boot-enrollment", default: d.bootEnrollment)
            s.bootEnrollmentTTL = r.int("boot-enrollment-ttl", default: d.bootEnrollmentTTL, in: 60...86400)
            let pairs = s.applianceFingerprint.split(separator: ":", omittingEmptySubsequences: false)
            if !s.applianceFingerprint.isEmpty, pairs.count != 32 || !pairs.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) {
                r.log.error("\(r.name("appliance-fingerprint")): expected a SHA-256 fingerprint (32 hex pairs joined by ':'), found '\(s.applianceFingerprint)'",
                            at: r.mark(of: "appliance-fingerprint"), rule: .invalidValue)
            }
            if !s.appliance.isEmpty, s.applianceTokenFile.isEmpty {
                r.log.error("\(r.name("appliance-token-file")): needed with \(r.name("appliance"))",
                            at: r.mark(of: "appliance"), rule: .missingKey)
            }
            if s.plainHTTP, !s.clientCA.isEmpty {
                r.log.error("\(r.name("client-ca")): mutual TLS needs TLS (\(r.name("plain-http")) is true)",
                            at: r.mark(of: "client-ca"), rule: .conflict)
            }
            if s.clientPort == s.consolePort {
                r.log.error("\(r.name("console-port")): \(s.consolePort) is also \(r.name("client-port"))",
                            at: r.mark(of: "console-port"), rule: .conflict)
            }
            if s.certificate.isEmpty != s.privateKey.isEmpty {
                let key = s.certificate.isEmpty ? "certificate" : "private-key"
                r.log.error("\(r.name(key)): needed with \(r.name(key == "certificate" ? "private-key" : "certificate"))",
                            at: r.mark(of: key == "certificate" ? "private-key" : "certificate"), rule: .missingKey)
            }
            return s
        }
    }
}
