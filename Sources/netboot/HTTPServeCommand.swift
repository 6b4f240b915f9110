import ArgumentParser
import BootServices
import Logging
import NetbootServer

/// `netboot http-serve`: the HTTP image server alone, for development and benchmarks, until
/// `netboot serve` wires it from the `http:` section of the configuration.
struct HTTPServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-serve",
        abstract: "Serve files over HTTP (ranges, sendfile, /boot/ipxe, /metrics) — development command.",
        discussion: HelpText.discussion(
            examples: [("netboot http-serve --root images --port 8080", "serve images/ on port 8080 until SIGTERM or SIGINT")],
            exitCodes: [(0, "stopped by SIGTERM or SIGINT"), (1, "the port cannot be bound or the service failed")])
    )

    @Option(help: "Directory to serve.") var root: String
    @Option(help: "TCP port (0 picks one and logs it).") var port: Int = 80
    @Option(help: "Address to bind.") var host: String = "0.0.0.0"
    @Option(help: "Event loop threads (default: one per core).") var threads: Int?
    @Option(help: "Threads that open files (0: open on the event loops).") var fileThreads: Int = 0
    @Option(help: "Bodies up to this many bytes are copied instead of sent with sendfile.") var inlineBodyLimit: Int = 16384
    @Flag(help: "Serve HTML indexes of directories without index.html.") var directoryListing = false
    @Flag(help: "Do not log one line per request.") var noAccessLog = false
    @Flag(help: "Log /healthz requests too.") var logHealthChecks = false
    @Flag(help: "Log query strings as sent (default: every value as ***).") var logQueries = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Option(help: "Seconds a kept-alive connection may wait for its next request.") var idleTimeout: Int64 = 60
    @Option(help: "Seconds for a complete request head, from accept or its first byte (then 408).")
    var requestTimeout: Int64 = 10
    @Option(help: "Maximum open connections.") var maxConnections: Int = 1024
    @Option(help: "Maximum open connections from one client address.") var maxConnectionsPerClient: Int = 32
    @Option(
        name: .customLong("pxe-image"),
        help: "PXE image for /boot/ipxe as NAME:KERNEL[:INITRD[:CMDLINE]] (repeatable; paths relative to --root)."
    ) var pxeImages: [String] = []
    @Option(help: "PXE image unknown clients boot (otherwise a menu when several).") var pxeDefault: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard (1...86400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1…86400 seconds") }
        guard (1...3600).contains(requestTimeout) else { throw ValidationError("--request-timeout must be 1…3600 seconds") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxConnectionsPerClient >= 1 else {
            throw ValidationError("--max-connections-per-client must be at least 1")
        }
        guard (threads ?? 1) >= 1, (threads ?? 1) <= 256 else { throw ValidationError("--threads must be 1…256") }
        guard (0...256).contains(fileThreads) else { throw ValidationError("--file-threads must be 0…256") }
        guard (0...(1 << 20)).contains(inlineBodyLimit) else {
            throw ValidationError("--inline-body-limit must be 0…1048576 bytes")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        for spec in pxeImages where Self.image(spec) == nil {
            throw ValidationError("--pxe-image \(spec): expected NAME:KERNEL[:INITRD[:CMDLINE]]")
        }
    }

    static func image(_ spec: String) -> IPXEImage? {
        let parts = spec.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        let initrds = parts.count > 2 && !parts[2].isEmpty ? [parts[2]] : []
        return IPXEImage(name: parts[0], kernel: parts[1], initrds: initrds, cmdline: parts.count > 3 ? parts[3] : "")
    }

    func run() async throws {
        var logger = Logger(label: "netboot.http")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var options = HTTPService.Options(root: root, port: port)
        options.hosts = [host]
        if let threads { options.eventLoopThreads = threads }
        options.fileThreads = max(0, fileThreads)
        options.inlineBodyLimit = inlineBodyLimit
        options.directoryListing = directoryListing
        options.accessLog = !noAccessLog
        options.accessLogHealthChecks = logHealthChecks
        options.redactQueries = !logQueries
        options.limits.idleTimeout = .seconds(idleTimeout)
        options.limits.requestTimeout = .seconds(requestTimeout)
        options.limits.maxConnections = maxConnections
        options.limits.maxConnectionsPerClient = maxConnectionsPerClient
        options.ipxe = IPXEBootMenu(images: pxeImages.compactMap(Self.image), defaultImage: pxeDefault)
        try await HTTPService.runStandalone(options: options, logger: logger)
    }
}
