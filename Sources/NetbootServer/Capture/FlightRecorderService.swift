import Foundation
import Logging
import NetbootConfig
import ServiceLifecycle
import UnixSignals

/// Writes the flight recorder out on SIGUSR1 (there is no control socket yet; issue 7 allows a
/// signal): `capture.dir/flight-<unix milliseconds>.pcap`, logged with its packet count.
/// Also keeps `state-dir/netboot.pid` for as long as the server runs, so that
/// `netboot debug dump-packets` knows whom to signal.
public struct FlightRecorderService: Service {
    let recorder: FlightRecorder
    let captureDirectory: String
    let pidFile: String
    let logger: Logger

    public init(recorder: FlightRecorder, configuration: NetbootConfiguration, logger: Logger) {
        self.recorder = recorder
        captureDirectory = configuration.capture.dir
        pidFile = FlightRecorderService.pidFile(stateDir: configuration.stateDir)
        self.logger = logger
    }

    /// `state-dir/netboot.pid`.
    public static func pidFile(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("netboot.pid") }

    /// `flight-<unix milliseconds>.pcap`.
    public static func dumpName(milliseconds: Int64) -> String { "flight-\(milliseconds).pcap" }

    public func run() async throws {
        writePidFile()
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        for await _ in await UnixSignalsSequence(trapping: .sigusr1).cancelOnGracefulShutdown() {
            dump()
        }
    }

    private func writePidFile() {
        do {
            try FileModes.createDirectory((pidFile as NSString).deletingLastPathComponent)
            try FileModes.write(Array("\(getpid())\n".utf8), to: pidFile, mode: FileModes.privateFile)
        } catch {
            logger.warning("cannot write pid file \(pidFile): \(error); netboot debug dump-packets will not find this server")
        }
    }

    func dump() {
        guard recorder.isEnabled else {
            logger.warning("SIGUSR1: the flight recorder is off (capture.flight-recorder: 0)")
            return
        }
        do {
            let written = try Self.write(recorder, into: captureDirectory)
            logger.info("SIGUSR1: flight recorder written to \(written.path): \(written.packets) packets (of \(written.recorded) recorded)")
        } catch {
            logger.error("SIGUSR1: cannot write the flight recorder into \(captureDirectory): \(error)")
        }
    }

    /// Writes the recorder's packets to `directory/flight-<unix ms>.pcap` (through a `.part`
    /// file, so a reader never sees half a pcap): the SIGUSR1 dump and `capture.dump`.
    static func write(_ recorder: FlightRecorder, into directory: String,
                      now: Date = Date()) throws -> (path: String, packets: Int, recorded: Int) {
        let milliseconds = Int64(now.timeIntervalSince1970 * 1000)
        let path = (directory as NSString).appendingPathComponent(Self.dumpName(milliseconds: milliseconds))
        let (entries, total) = recorder.snapshot()
        try FileModes.createDirectory(directory)
        let partial = path + ".part"
        try FileModes.write(recorder.pcap(), to: partial, mode: FileModes.privateFile)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: partial, toPath: path)
        return (path, entries.count, total)
    }
}
