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
        let milliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let path = (captureDirectory as NSString).appendingPathComponent(Self.dumpName(milliseconds: milliseconds))
        let (entries, total) = recorder.snapshot()
        do {
            try FileModes.createDirectory(captureDirectory)
            let partial = path + ".part"
            try FileModes.write(recorder.pcap(), to: partial, mode: FileModes.privateFile)
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            logger.info("SIGUSR1: flight recorder written to \(path): \(entries.count) packets (of \(total) recorded)")
        } catch {
            logger.error("SIGUSR1: cannot write the flight recorder to \(path): \(error)")
        }
    }
}
