/// `bsdp:` — Apple's Boot Service Discovery Protocol responder (BSDP 1.0.8; the reference
/// `bsdp-protocol-and-servers.md` §1). Its images come from `images-dir`.
extension NetbootConfiguration {
    public struct BSDP: Sendable, Equatable {
        public var enabled: Bool = true
        /// BSDP sub-option 4, server priority (0–65535): clients prefer the highest.
        public var serverPriority: Int = 32768
        /// Macs selecting this server within `load-window` at which its priority reaches 0
        /// (`BSDPServerPriority`: linear from `server-priority` when idle); 0 = static priority.
        public var loadCapacity: Int = 0
        /// Seconds a selection counts as load.
        public var loadWindow: Int = 900

        public init() {}

        static func read(_ r: MappingReader) -> BSDP {
            let d = BSDP()
            var s = BSDP()
            s.enabled = r.bool("enabled", default: d.enabled)
            s.serverPriority = r.int("server-priority", default: d.serverPriority, in: 0...65535)
            s.loadCapacity = r.int("load-capacity", default: d.loadCapacity, in: 0...1_000_000)
            s.loadWindow = r.int("load-window", default: d.loadWindow, in: 1...86400)
            return s
        }
    }
}
