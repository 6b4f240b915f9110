/// `bsdp:` — Apple's Boot Service Discovery Protocol responder (BSDP 1.0.8; the reference
/// `bsdp-protocol-and-servers.md` §1). Its images come from `images-dir`.
extension NetbootConfiguration {
    public struct BSDP: Sendable, Equatable {
        public var enabled: Bool = true
        /// BSDP sub-option 4, server priority (0–65535): clients prefer the highest.
        public var serverPriority: Int = 32768

        public init() {}

        static func read(_ r: MappingReader) -> BSDP {
            let d = BSDP()
            var s = BSDP()
            s.enabled = r.bool("enabled", default: d.enabled)
            s.serverPriority = r.int("server-priority", default: d.serverPriority, in: 0...65535)
            return s
        }
    }
}
