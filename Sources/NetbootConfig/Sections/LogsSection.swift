/// `logs:` — where log files go and the seed's rotation limits (seed admin guide
/// "About Log File Rotation", L6346-6417: size 1 MB default, clamped to 200 KB–4 MB; 10 files,
/// clamped to 1–20). Out-of-range limits are clamped with a warning, as the seed clamps them.
extension NetbootConfiguration {
    public struct Logs: Sendable, Equatable {
        /// The seed's limits on the size of the current log file, in bytes (KB and MB of 1024).
        public static let sizeLimits = 204_800...4_194_304
        /// The seed's limits on the number of archives kept (`<exec>.1.log.gz` … `<exec>.N.log.gz`).
        public static let fileLimits = 1...20

        /// The directory holding `<exec>.log` and its archives.
        public var dir: String = "var/log"
        /// The size in bytes past which the current log is archived.
        public var sizeLimit: Int = 1_048_576
        /// How many archives are kept; the oldest beyond this are deleted.
        public var maxFiles: Int = 10
        /// The lowest level written: trace, debug, info, notice, warning, error or critical.
        public var level: Level = .info

        public init() {}

        /// swift-log's levels, named as swift-log names them.
        public enum Level: String, Sendable, CaseIterable {
            case trace, debug, info, notice, warning, error, critical
        }

        static func read(_ r: MappingReader) -> Logs {
            let d = Logs()
            var s = Logs()
            s.dir = r.path("dir", default: d.dir)
            s.sizeLimit = r.clampedInt("size-limit", default: d.sizeLimit, limits: sizeLimits)
            s.maxFiles = r.clampedInt("max-files", default: d.maxFiles, limits: fileLimits)
            s.level = r.word("level", default: d.level)
            return s
        }
    }
}
