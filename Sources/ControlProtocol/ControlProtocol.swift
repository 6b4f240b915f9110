/// The appliance's control protocol (docs/control.md): the local, root-only channel through
/// which `netboot status`, `leases`, `images rescan`, `debug dump-packets` and `config reload`
/// reach a running `netboot serve` — the Unix socket `state-dir/netboot.sock` (issue 15 item 1;
/// in the spirit of Kea's control channel).
///
/// Framing: one JSON object per line (UTF-8, ended by `\n`), each way; a connection may carry
/// any number of requests, answered in order. A request line longer than ``maxRequestBytes`` is
/// answered with `too-large` and the connection is closed. Everything in this target is pure
/// (Foundation only, no sockets, no clock reads): the codec, the framer and the dispatch core.
public enum ControlProtocol {
    /// The protocol version a request names in `"version"` and every reply carries.
    public static let version = 1
    /// The longest request line accepted, in bytes (without the newline).
    public static let maxRequestBytes = 64 * 1024
    /// The socket's file name in the state directory.
    public static let socketName = "netboot.sock"
    /// The longest `"id"` string echoed back.
    public static let maxIDLength = 128
}

/// The commands of protocol version 1 (docs/control.md lists their arguments and results).
public enum ControlCommand: String, CaseIterable, Sendable, Codable {
    case status
    case imagesList = "images.list"
    case imagesRescan = "images.rescan"
    case leasesList = "leases.list"
    case leasesRelease = "leases.release"
    case captureDump = "capture.dump"
    case configReload = "config.reload"
}

/// A request's `"id"`: any integer or a short string, echoed in its reply so that a client
/// can match replies to requests.
public enum ControlRequestID: Hashable, Sendable, Codable {
    case number(Int)
    case text(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .text(let text): try container.encode(text)
        }
    }
}

/// An error reply's `"error"`: a stable code for programs and a message for people.
public struct ControlError: Error, Hashable, Sendable, Codable {
    /// The codes of protocol version 1.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The line is not UTF-8 JSON, or not a JSON object.
        case malformedJSON = "malformed-json"
        /// The request line is longer than `ControlProtocol.maxRequestBytes` (connection closed).
        case tooLarge = "too-large"
        /// `version`, `command` or `id` is missing or of the wrong type, or a field is unknown.
        case badRequest = "bad-request"
        /// `version` is not one this server speaks.
        case unsupportedVersion = "unsupported-version"
        /// `command` names no command.
        case unknownCommand = "unknown-command"
        /// An argument is missing, unknown, of the wrong type or not a valid value.
        case badArguments = "bad-arguments"
        /// The lease (or other named thing) does not exist.
        case notFound = "not-found"
        /// The command cannot run in this configuration (leases in proxy mode, flight recorder off, …).
        case unavailable
        /// `config.reload` found errors in the file; nothing was applied.
        case invalidConfiguration = "invalid-configuration"
        /// The server tried and failed (an I/O error, a timeout).
        case failed
    }

    public var code: Code
    public var message: String
    /// For `invalid-configuration`: each diagnostic as `file:line:col: error: …`.
    public var details: [String]?

    public init(_ code: Code, _ message: String, details: [String]? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }
}
