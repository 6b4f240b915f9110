import NetbootWire

/// A group of TFTP clients that get their own limits, e.g. Apple firmware capped at blksize 1460.
///
/// Firmware cannot be recognised from its RRQ alone (the packet has no client identity), so a
/// class matches on what the server does see: the client's IPv4 address (a CIDR network, for a
/// lab subnet of one kind of machine) or the requested path after mapping (a prefix such as
/// `pxe/uefi/`, or a substring such as `.nbi/` — every NetBoot image folder ends in `.nbi`, and
/// only Apple firmware and the booters it loads fetch files from inside one). A class matches
/// when any of its rules matches; the first matching class in the configured order wins.
public struct TFTPClientClass: Hashable, Sendable {
    /// One way to recognise a client.
    public enum Rule: Hashable, Sendable, CustomStringConvertible {
        /// The client's address lies in `network/prefixLength`.
        case network(IPv4Address, prefixLength: Int)
        /// The mapped path starts with this text (case-insensitive).
        case pathPrefix(String)
        /// The mapped path contains this text (case-insensitive).
        case pathContains(String)

        public func matches(address: IPv4Address?, path: String) -> Bool {
            switch self {
            case .network(let network, let prefixLength):
                guard let address else { return false }
                let length = max(0, min(32, prefixLength))
                let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
                return address.rawValue & mask == network.rawValue & mask
            case .pathPrefix(let prefix):
                return path.lowercased().hasPrefix(prefix.lowercased())
            case .pathContains(let text):
                return path.lowercased().contains(text.lowercased())
            }
        }

        public var description: String {
            switch self {
            case .network(let address, let length): "address in \(address)/\(length)"
            case .pathPrefix(let prefix): "path starts with \(prefix)"
            case .pathContains(let text): "path contains \(text)"
            }
        }
    }

    public var name: String
    public var rules: [Rule]
    /// Overrides ``TFTPTransferConfiguration/maxBlockSize`` for this class.
    public var maxBlockSize: Int?
    /// Overrides ``TFTPTransferConfiguration/maxWindowSize`` for this class.
    public var maxWindowSize: Int?

    public init(name: String, rules: [Rule], maxBlockSize: Int? = nil, maxWindowSize: Int? = nil) {
        self.name = name
        self.rules = rules
        self.maxBlockSize = maxBlockSize
        self.maxWindowSize = maxWindowSize
    }

    public func matches(address: IPv4Address?, path: String) -> Bool {
        rules.contains { $0.matches(address: address, path: path) }
    }

    /// Apple firmware: USB-C Macs fail with blocks above 1460 bytes
    /// (bsdp-protocol-and-servers.md §0); NetBoot paths run through `<name>.nbi/`.
    public static let appleFirmware = TFTPClientClass(
        name: "apple-firmware", rules: [.pathContains(".nbi/")], maxBlockSize: 1460)
}
