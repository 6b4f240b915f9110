/// The seed's log rotation set for one executable (seed admin guide, "About Log File
/// Rotation" and "Changing Log File Rotation Limits", L6346-6417):
///
/// - the current log is `<exec>.log`; when it would grow past the size limit it is archived
///   as `<exec>.1.log.gz` (gzip, zlib), the existing archives each move up by one, and an
///   archive whose number passes the file limit is deleted;
/// - size limit: default 1 MB, clamped to 200 KB–4 MB (KB and MB of 1024 bytes);
/// - number of files: default 10, clamped to 1–20.
///
/// The seed leaves open whether the file limit counts the current log. Here it counts the
/// archives — the seed's key is `MaxNumberOfSavedLogs` (L6428), and with the lowest value, 1,
/// one archive is still kept — so at most `maxFiles` archives exist beside `<exec>.log`.
public struct LogRotationPolicy: Sendable, Equatable {
    public static let defaultSizeLimit = 1_048_576
    public static let sizeLimits = 204_800...4_194_304
    public static let defaultMaxFiles = 10
    public static let fileLimits = 1...20

    public let directory: String
    public let executable: String
    /// Bytes; always within `sizeLimits`.
    public let sizeLimit: Int
    /// Archives kept; always within `fileLimits`.
    public let maxFiles: Int

    /// A policy whose limits are the seed's defaults when nil and clamped into the seed's
    /// intervals otherwise.
    public init(directory: String, executable: String, sizeLimit: Int? = nil, maxFiles: Int? = nil) {
        self.directory = directory
        self.executable = executable
        self.sizeLimit = LogRotationPolicy.clamp(sizeLimit ?? LogRotationPolicy.defaultSizeLimit, to: LogRotationPolicy.sizeLimits)
        self.maxFiles = LogRotationPolicy.clamp(maxFiles ?? LogRotationPolicy.defaultMaxFiles, to: LogRotationPolicy.fileLimits)
    }

    /// `<directory>/<exec>.log`.
    public var currentPath: String { "\(directory)/\(executable).log" }

    /// `<directory>/<exec>.<n>.log.gz`; 1 is the newest archive.
    public func archivePath(_ number: Int) -> String { "\(directory)/\(executable).\(number).log.gz" }

    static func clamp(_ value: Int, to limits: ClosedRange<Int>) -> Int {
        min(max(value, limits.lowerBound), limits.upperBound)
    }
}
