/// Everything that can go wrong opening, filtering, reading or writing a capture, each with a
/// message that says what to do about it.
public enum CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened as pcap or pcapng (missing, unreadable, not a capture).
    case cannotOpenFile(path: String, reason: String)
    case noSuchInterface(String)
    case permissionDenied(interface: String, reason: String)
    case interfaceDown(String)
    case cannotOpenInterface(interface: String, reason: String)
    /// A BPF expression libpcap could not compile (its own error text).
    case filterDoesNotCompile(expression: String, reason: String)
    /// A link type the decoder cannot read.
    case unsupportedLinkType(dlt: Int32, name: String)
    /// Reading stopped: a truncated or corrupt file, or a failing interface.
    case readFailed(String)
    /// The disk (or quota) filled up while writing `path`.
    case diskFull(path: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpenFile(path, reason):
            return "cannot open capture file \(path): \(reason)"
        case let .noSuchInterface(name):
            return "no such interface: \(name) (see `ip link`)"
        case let .permissionDenied(name, reason):
            return "no permission to capture on \(name): \(reason); run as root or give the binary CAP_NET_RAW"
        case let .interfaceDown(name):
            return "interface \(name) is down (ip link set \(name) up)"
        case let .cannotOpenInterface(name, reason):
            return "cannot capture on \(name): \(reason)"
        case let .filterDoesNotCompile(expression, reason):
            return "capture filter does not compile: \(reason) (filter: \(expression))"
        case let .unsupportedLinkType(dlt, name):
            return "unsupported link type \(name) (DLT \(dlt)): netboot reads Ethernet (EN10MB), Linux cooked (SLL, SLL2) and raw IP captures"
        case let .readFailed(reason):
            return "capture read failed: \(reason)"
        case let .diskFull(path):
            return "disk full while writing \(path): capture stopped, the file holds every packet before this one"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
