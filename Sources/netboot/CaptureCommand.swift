import ArgumentParser
import Foundation
import PacketCapture
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM while `netboot capture` runs; the capture loop checks it between reads.
private let captureStopRequested = Atomic<Bool>(false)

/// `netboot capture -i IFACE …` (issue 7): live capture through libpcap, a decoded line per
/// packet with the decoder of `netboot decode`, optional pcap output with rotation, and a
/// summary at the end; docs/capture.md.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture DHCP/BSDP, TFTP, HTTP and bridge traffic on an interface; decode DHCP/BSDP and TFTP.",
        discussion: """
            The default filter is `\(CaptureCommand.defaultFilter)`: all of UDP, so that TFTP \
            transfers on ephemeral ports are caught (the decoder follows each RRQ to its ports), \
            plus HTTP and the bridge ports. Lines are printed for DHCP, BSDP, TFTP and TCP packets \
            (TCP by addresses and ports only: HTTP is not decoded); \
            other UDP is written to -w but not printed (unless --filter was given). Stops after \
            --count packets, --duration seconds, or on SIGINT/SIGTERM, then prints a summary.
            """ + "\n\n" + HelpText.discussion(
            examples: [
                ("netboot capture -i eth0", "print the boot conversation until Ctrl-C"),
                ("netboot capture -i eth0 -w boot.pcap --duration 60", "also write it to a file, for one minute"),
            ],
            exitCodes: [(0, "stopped by its count, its duration or a signal"),
                        (1, "the interface cannot be opened, the filter is invalid, or the file cannot be written")])
    )

    static let defaultFilter = "udp or tcp port 80 or tcp port 8760 or tcp port 8761"

    @Option(name: .shortAndLong, help: "The interface to capture on.")
    var interface: String

    @Option(name: .customShort("w"), help: ArgumentHelp("Write the packets to this pcap file.", valueName: "file.pcap"))
    var write: String?

    @Option(help: "A BPF capture filter (pcap-filter(7)) instead of the default.")
    var filter: String?

    @Option(help: "Stop after this many packets.")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Flag(help: "One JSON object per packet, as `netboot decode --json`; the summary goes to standard error.")
    var json = false

    @Option(help: "Start a new output file when the current one reaches this many bytes (FILE.0.pcap, FILE.1.pcap, …).")
    var rotateSize: Int?

    @Option(help: "With --rotate-size: keep only the newest N files.")
    var rotateCount: Int?

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        if let duration, !(duration > 0 && duration <= 315_360_000) {
            throw ValidationError("--duration must be between 0 and 315360000 seconds (ten years)")
        }
        if rotateSize != nil || rotateCount != nil, write == nil {
            throw ValidationError("--rotate-size and --rotate-count need -w FILE")
        }
        if rotateCount != nil, rotateSize == nil { throw ValidationError("--rotate-count needs --rotate-size") }
        if let rotateSize, rotateSize < 1024 { throw ValidationError("--rotate-size must be at least 1024 bytes") }
        if let rotateCount, rotateCount < 1 { throw ValidationError("--rotate-count must be at least 1") }
    }

    func run() throws {
        let handle: PcapHandle
        let link: LinkLayer
        var writer: PcapDumpWriter?
        do {
            handle = try PcapHandle.openLive(interface: interface)
            link = try handle.linkLayer()
            try handle.setFilter(filter ?? Self.defaultFilter)
            if let write {
                writer = try PcapDumpWriter(path: write, dlt: handle.dlt, snapLength: handle.snapLength,
                                            rotateSize: rotateSize, rotateCount: rotateCount)
            }
        } catch {
            reportError("\(error)")
            throw ExitCode(1)
        }
        signal(SIGINT) { _ in captureStopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in captureStopRequested.store(true, ordering: .relaxed) }
        var errorStream = StandardErrorStream()
        print("capturing on \(interface) (\(link)), filter: \(filter ?? Self.defaultFilter)", to: &errorStream)

        var decoder = PacketDecoder(linkLayer: link)
        var formatter = PacketLineFormatter()
        var groups = Conversations()
        var failure: CaptureError?
        let clock = ContinuousClock()
        let deadline = duration.map { clock.now + .milliseconds(Int64($0 * 1000)) }
        var captured = 0
        while !captureStopRequested.load(ordering: .relaxed) {
            if let count, captured >= count { break }
            if let deadline, clock.now >= deadline { break }
            // A quiet interface still returns every 100 ms (or at the deadline), so a signal
            // or --duration ends the capture without waiting for another packet.
            var wait = Duration.milliseconds(100)
            if let deadline { wait = min(wait, max(.zero, deadline - clock.now)) }
            let read: PcapHandle.Read
            do {
                read = try handle.next(waitingAtMost: wait)
            } catch {
                failure = error
                break
            }
            guard case .frame(let frame) = read else {
                if case .end = read { break }
                continue
            }
            captured += 1
            if let current = writer {
                do {
                    try current.write(frame)
                } catch {
                    failure = error
                    break
                }
            }
            let record = decoder.decode(frame)
            groups.add(record)
            // The broad default filter also passes DNS, mDNS, …: written to -w, not printed.
            guard filter != nil || record.proto != .other || record.ipProtocol != 17 else { continue }
            print(json ? record.json.text : formatter.line(record))
            fflush(nil)
        }
        var closeError: CaptureError?
        if failure == nil {
            do {
                try writer?.close()
            } catch {
                closeError = error
            }
        }
        var summary = "capture ended: \(groups.summary)"
        if let stats = handle.statistics() { summary += ", \(stats.dropped) dropped by the kernel" }
        if let files = writer?.files, !files.isEmpty { summary += "; wrote " + files.joined(separator: ", ") }
        if json { print(summary, to: &errorStream) } else { print(summary) }
        if let error = failure ?? closeError {
            reportError("\(error)")
            throw ExitCode(1)
        }
    }
}
