import ArgumentParser
import BootServices
import NetbootWire
import Logging
import NetbootServer
import ServiceLifecycle

/// `netboot tftp-serve`: runs only the TFTP service, configured from flags. A hidden developer
/// command for integration tests and benchmarks; `netboot serve` runs it from the `tftp:` section.
struct TFTPServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tftp-serve", abstract: "Serve TFTP only (development and benchmarks).",
        discussion: HelpText.discussion(
            examples: [("netboot tftp-serve --root images --port 6969", "serve images/ on UDP 6969 until SIGTERM or SIGINT")],
            exitCodes: [(0, "stopped by SIGTERM or SIGINT"), (1, "the port cannot be bound or the service failed")]),
        shouldDisplay: false)

    @Option(help: "Directory to serve.") var root: String
    @Option(help: "UDP port.") var port: Int = 69
    @Option(help: "Address to listen on.") var address: String = "0.0.0.0"
    @Option(name: .customLong("max-blksize"), help: "Largest block size granted (RFC 2348).") var maxBlockSize: Int = 1468
    @Option(name: .customLong("max-windowsize"), help: "Largest window granted (RFC 7440).") var maxWindowSize: Int = 64
    @Option(name: .customLong("upload-dir"), help: "Accept WRQ into this directory.") var uploadDirectory: String?
    @Option(name: .customLong("timeout-ms"), help: "First retransmission timeout.") var timeoutMilliseconds: Int = 1000
    @Option(name: .customLong("max-timeout-ms"), help: "Largest retransmission timeout.") var maxTimeoutMilliseconds: Int = 8000
    @Option(help: "Retransmissions before giving up.") var retries: Int = 5
    @Option(name: .customLong("max-transfers"), help: "Concurrent transfers.") var maxTransfers: Int = 512
    @Option(name: .customLong("max-transfers-per-client"), help: "Concurrent transfers from one client address.")
    var maxTransfersPerClient: Int = TFTPServiceOptions.defaultMaxTransfersPerClient
    @Option(help: "Block-number rollover: 0 or 1.") var rollover: String = "0"
    @Option(name: .customLong("transfer-threads"), help: "Threads running read transfers (default: one per usable core, at most 64).")
    var transferThreads: Int?
    @Option(help: "Nice value of every thread of the server, -20…19; 0 leaves it as started.")
    var nice: Int = -10
    @Option(name: .customLong("busy-poll-us"), help: "Microseconds a transfer thread polls before sleeping while few transfers run; 0 never.")
    var busyPollMicroseconds: Int = 50
    @Option(help: "Send DATA windows as UDP_SEGMENT (GSO) writes: 0 or 1.") var gso: String = "1"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.") var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "netboot.tftp")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        guard let rolloverValue = TFTPBlockNumbering.Rollover(rawValue: rollover) else {
            throw ValidationError("--rollover must be 0 or 1")
        }
        let transfer = TFTPTransferConfiguration(
            maxBlockSize: maxBlockSize, maxWindowSize: maxWindowSize,
            retransmitTimeout: .milliseconds(timeoutMilliseconds),
            maxRetransmitTimeout: .milliseconds(maxTimeoutMilliseconds), maxRetries: retries,
            numbering: TFTPBlockNumbering(rollover: rolloverValue))
        guard gso == "0" || gso == "1" else { throw ValidationError("--gso must be 0 or 1") }
        var options = TFTPServiceOptions(address: address, port: port, root: root, uploadDirectory: uploadDirectory,
                                         transfer: transfer, maxTransfers: maxTransfers,
                                         maxTransfersPerClient: maxTransfersPerClient)
        options.segmentationOffload = gso == "1"
        if let transferThreads { options.transferThreads = max(1, transferThreads) }
        guard (0...1000).contains(busyPollMicroseconds) else { throw ValidationError("--busy-poll-us must be 0…1000") }
        options.busyPoll = .microseconds(busyPollMicroseconds)
        guard (-20...19).contains(nice) else { throw ValidationError("--nice must be -20…19") }
        ProcessPriority.maintain(nice: nice, logger: logger)
        let service = TFTPService(options: options, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
