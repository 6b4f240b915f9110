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
        discussion: HelpText.discussion(examples: [("netboot debug dump-packets -w last.pcap", "the running server's last packets")],
                                        exitCodes: HelpText.group),
        subcommands: [DumpPacketsCommand.self]
    )
}

/// `netboot debug dump-packets -w FILE.pcap` (issue 7): the running server's flight recorder as
/// a pcap: the server writes `capture.dir/flight-<ms>.pcap` when asked through its control
/// socket (`capture.dump`, docs/control.md) — or, without one, on SIGUSR1 to the process that
/// holds `state-dir/netboot.lock` (never to a pid a stale file names) — and this command copies
/// it to FILE.
struct DumpPacketsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-packets",
        abstract: "Write the running server's last packets (the flight recorder) to a pcap file.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot debug dump-packets -w last.pcap", "then `netboot decode last.pcap` shows them"),
                ("netboot debug dump-packets -w last.pcap --config lab.yaml", "the server started with lab.yaml (its state-dir and capture.dir)"),
            ],
            exitCodes: [(0, "the file was written"),
                        (1, "no running server, the flight recorder is off, no dump in time, \(HelpText.configurationError), or the file cannot be written")])
    )

    @Option(name: .customShort("w"), help: ArgumentHelp("The pcap file to write.", valueName: "file.pcap"))
    var write: String

    /// The server's configuration (for state-dir and capture.dir).
    @OptionGroup var config: ConfigurationOption

    @Option(help: "Seconds to wait for the server's dump.")
    var timeout: Double = 5

    func run() throws {
        let configuration = try config.load().configuration
        guard configuration.capture.flightRecorder > 0 else {
            reportError("the flight recorder is off (capture.flight-recorder: 0)")
            throw ExitCode(1)
        }
        // Ask through the control socket (docs/control.md); signals are the fallback.
        if try FlightRecorderCopy.throughSocket(stateDir: configuration.stateDir, to: write) { return }
        // Signal only a process that holds the state directory's lock (a running `netboot
        // serve`): a stale pid file may name any process by now (issue 14 item 1).
        let pidFile = FlightRecorderService.pidFile(stateDir: configuration.stateDir)
        let lockFile = StateDirectoryLock.path(stateDir: configuration.stateDir)
        let named = (try? String(contentsOfFile: pidFile, encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let pid: Int32
        switch StateDirectoryLock.holder(stateDir: configuration.stateDir) {
        case .nobody:
            let stale = named.map { "; \(pidFile) names pid \($0), which is not it: nothing signalled" } ?? ""
            reportError("the server is not running: no netboot serve holds \(lockFile)\(stale)")
            throw ExitCode(1)
        case let .unknown(reason):
            reportError("cannot tell whether the server runs: \(reason)")
            throw ExitCode(1)
        case .server(pid: nil):
            reportError("the server is starting (\(lockFile) names no pid yet); try again")
            throw ExitCode(1)
        case .server(pid: let holder?):
            pid = holder
        }
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        guard kill(pid, SIGUSR1) == 0 else {
            reportError("cannot signal server pid \(pid) (holder of \(lockFile)): \(String(cString: strerror(errno)))")
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
