import Logging
import NetbootConfig

/// swift-log set-up for `netboot serve`: every `Logger` writes to `logs.dir/<exec>.log`
/// (rotated by the seed's rules, `LogRotationPolicy`) and, optionally, to standard error.
public enum NetbootLogging {
    /// The rotation policy the configuration asks for.
    public static func policy(_ logs: NetbootConfiguration.Logs, executable: String = "netboot") -> LogRotationPolicy {
        LogRotationPolicy(directory: logs.dir, executable: executable, sizeLimit: logs.sizeLimit, maxFiles: logs.maxFiles)
    }

    /// The handler for one logger label: the file, plus the console when asked — multiplexed.
    public static func handler(label: String, sink: LogFileSink, level: Logger.Level, console: Bool) -> any LogHandler {
        let file = LogFileHandler(label: label, sink: sink, level: level)
        guard console else { return file }
        return MultiplexLogHandler([file, ConsoleLogHandler(label: label, level: level)])
    }

    /// Opens the log file and bootstraps `LoggingSystem` (once per process). Returns the sink,
    /// to `flush()` before the process exits (which first writes the pending summaries of
    /// repeated lines). Throws when the log file cannot be opened.
    ///
    /// Every handler sits behind one `RepeatedLineFilter`: lines that name a kind and a source
    /// (a junk flood's `malformed DHCP datagrams` from one address) are summarised past a few
    /// per 10 s, so a flood cannot rotate the rest of the log away.
    public static func bootstrap(_ logs: NetbootConfiguration.Logs, executable: String = "netboot",
                                 console: Bool = true) throws -> LogFileSink {
        let sink = try LogFileSink(policy: policy(logs, executable: executable))
        let level = Logger.Level(logs.level)
        let filter = RepeatedLineFilter { label in handler(label: label, sink: sink, level: level, console: console) }
        sink.beforeFlush { filter.flush() }
        LoggingSystem.bootstrap { label in
            RepeatedLineHandler(label: label, inner: handler(label: label, sink: sink, level: level, console: console),
                                filter: filter)
        }
        return sink
    }
}

extension Logger.Level {
    /// The swift-log level of a configured `logs.level`.
    public init(_ level: NetbootConfiguration.Logs.Level) {
        self = Logger.Level(rawValue: level.rawValue) ?? .info
    }
}
