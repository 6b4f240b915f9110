/// `capture:` — packet captures and the server's flight recorder (issue 7): the last N
/// packets kept in memory for `netboot debug dump-packets`.
extension NetbootConfiguration {
    public struct Capture: Sendable, Equatable {
        /// Where captures are written.
        public var dir: String = "var/captures"
        /// How many recent packets the flight recorder keeps; 0 turns it off.
        public var flightRecorder: Int = 1024

        public init() {}

        static func read(_ r: MappingReader) -> Capture {
            let d = Capture()
            var s = Capture()
            s.dir = r.path("dir", default: d.dir)
            s.flightRecorder = r.int("flight-recorder", default: d.flightRecorder, in: 0...1_000_000)
            return s
        }
    }
}
