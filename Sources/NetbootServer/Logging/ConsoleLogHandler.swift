import Foundation
import Logging

/// A swift-log handler writing the same lines as `LogFileHandler` to standard error, for
/// `netboot serve` in a terminal or under systemd/journald.
public struct ConsoleLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = LogLineFormat.line(date: Date(), level: event.level, label: label,
                                      message: event.message.description, metadata: merged)
        // One write(2) per line, so lines from several threads do not interleave.
        FileHandle.standardError.write(Data(line.utf8))
    }
}
