import ArgumentParser
import Foundation
import NetbootConfig
import NetbootServer
#if canImport(Glibc)
import Glibc
#endif

/// `netboot debug …`: tools for a running server.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Debugging tools for a running server.",
        subcommands: [DumpPacketsCommand.self]
    )
}

/// `netboot debug dump-packets -w FILE.pcap` (issue 7): the running server's flight recorder as
/// a pcap: the server writes `capture.dir/flight-<ms>.pcap` when asked through its control socket
/// (`capture.dump`, docs/control.md) — or, without one, on SIGUSR1 to the pid in
/// `state-dir/netboot.pid` — and this command copies it to FILE.
struct DumpPacketsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-packets",
        abstract: "Write the running server's last packets (the flight recorder) to a pcap file."
    )

    @Option(name: .customShort("w"), help: ArgumentHelp("The pcap file to write.", valueName: "file.pcap"))
    var write: String

    @Option(help: "The server's configuration file (for state-dir and capture.dir; default: \(ConfigurationFile.defaultPath)).")
    var config: String?

    @Option(help: "Seconds to wait for the server's dump.")
    var timeout: Double = 5

    func run() throws {
        var configuration = NetbootConfiguration.defaults
        let path = config ?? (FileManager.default.fileExists(atPath: ConfigurationFile.defaultPath) ? ConfigurationFile.defaultPath : nil)
        if let path {
            let result = NetbootConfiguration.load(contentsOf: path)
            guard !result.hasErrors else {
                for line in result.rendered { reportError(line) }
                throw ExitCode(1)
            }
            configuration = result.configuration
        }
        guard configuration.capture.flightRecorder > 0 else {
            reportError("the flight recorder is off (capture.flight-recorder: 0)")
            throw ExitCode(1)
        }
        if try FlightRecorderCopy.throughSocket(stateDir: configuration.stateDir, to: write) { return }
        let pidFile = FlightRecorderService.pidFile(stateDir: configuration.stateDir)
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            reportError("no running server: \(pidFile) is missing or unreadable (is `netboot serve` running from this directory?)")
            throw ExitCode(1)
        }
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        guard kill(pid, SIGUSR1) == 0 else {
            reportError("cannot signal server pid \(pid) from \(pidFile): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        let directory = configuration.capture.dir
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let dumps = names.compactMap { name -> Int64? in
                guard name.hasPrefix("flight-"), name.hasSuffix(".pcap") else { return nil }
                return Int64(name.dropFirst("flight-".count).dropLast(".pcap".count))
            }.filter { $0 >= start }.sorted()
            if let newest = dumps.last {
                let source = (directory as NSString).appendingPathComponent(FlightRecorderService.dumpName(milliseconds: newest))
                do {
                    if FileManager.default.fileExists(atPath: write) { try FileManager.default.removeItem(atPath: write) }
                    try FileManager.default.copyItem(atPath: source, toPath: write)
                } catch {
                    reportError("cannot copy \(source) to \(write): \(error.localizedDescription)")
                    throw ExitCode(1)
                }
                print("wrote \(write) (from \(source))")
                return
            }
            usleep(50_000)
        }
        reportError("server pid \(pid) wrote no dump into \(directory) within \(timeout) s (see its log)")
        throw ExitCode(1)
    }
}
