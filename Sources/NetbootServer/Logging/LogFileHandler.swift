import Foundation
import Logging

/// A swift-log handler writing one line per event to a `LogFileSink`:
/// `2026-11-24T20:04:27.123Z info [netboot.tftp] message key=value …`.
public struct LogFileHandler: LogHandler {
    public let label: String
    public let sink: LogFileSink
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, sink: LogFileSink, level: Logger.Level = .info) {
        self.label = label
        self.sink = sink
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
        sink.write(LogLineFormat.line(date: Date(), level: event.level, label: label,
                                      message: event.message.description, metadata: merged))
    }
}

/// The text of a log line, shared by the file and console handlers.
enum LogLineFormat {
    static func line(date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        // Appended into one reserved string: this runs for every access-log line.
        let stamp = timestamp(date)
        let level = level.description
        let message = escaped(message)
        var text = ""
        text.reserveCapacity(stamp.utf8.count + level.utf8.count + label.utf8.count + message.utf8.count + 8)
        text += stamp
        text += " "
        text += level
        text += " ["
        text += label
        text += "] "
        text += message
        if !metadata.isEmpty {
            for key in metadata.keys.sorted() {
                if let value = metadata[key] { text += " \(escaped(key))=\(escaped(value.description))" }
            }
        }
        text += "\n"
        return text
    }

    /// `text` with control characters escaped (`\n`, `\r`, `\t`, `\u{1b}`), so that a value
    /// taken from the network (a TFTP file name, a DHCP host name) can neither forge a log
    /// line nor drive a terminal.
    static func escaped(_ text: String) -> String {
        // A scalar below 0x20 or 0x7F is that one byte in UTF-8 (and no other byte is): scanning
        // the bytes finds the same ones, faster.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// RFC 3339 UTC with milliseconds, without a shared formatter (thread-safe, allocation-light).
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        let millis = min(999, max(0, Int((seconds - seconds.rounded(.down)) * 1000)))
        // Digits straight into the string's storage: this runs for every access-log line.
        let fields: [(value: Int, width: Int, then: UInt8)] = [
            (Int(parts.tm_year) + 1900, 4, UInt8(ascii: "-")), (Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-")),
            (Int(parts.tm_mday), 2, UInt8(ascii: "T")), (Int(parts.tm_hour), 2, UInt8(ascii: ":")),
            (Int(parts.tm_min), 2, UInt8(ascii: ":")), (Int(parts.tm_sec), 2, UInt8(ascii: ".")),
            (millis, 3, UInt8(ascii: "Z")),
        ]
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            for field in fields {
                var value = max(0, field.value)
                for offset in stride(from: field.width - 1, through: 0, by: -1) {
                    buffer[index + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                buffer[index + field.width] = field.then
                index += field.width + 1
            }
            return index
        }
    }
}
