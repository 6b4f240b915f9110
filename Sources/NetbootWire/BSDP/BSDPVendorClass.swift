/// The DHCP vendor class identifier (option 60) that marks a packet as BSDP
/// (Apple BSDP 1.0.8 §3.4.2; `bsdp_parse_class_id` in `bootplib/bsdplib.c`; reference §1.3).
///
/// Clients send `AAPLBSDPC/<arch>/<system id>` (e.g. `AAPLBSDPC/i386/MacBookPro11,2`); servers
/// send exactly the nine bytes `AAPLBSDPC`. Parsing follows Apple: the prefix must match
/// byte for byte; after it either nothing (a server) or `/`; the architecture runs to the
/// next `/`; the system identifier is everything after that `/` (it may itself contain `/`).
/// Newline and NUL bytes are refused anywhere. Two deliberate differences, both documented
/// in docs/bsdp.md: `AAPLBSDPC/<arch>` without a model is accepted (Metasploit and older
/// recipes send it; Apple's parser reads one byte past its buffer there), and an empty
/// architecture, or bytes that are not UTF-8, are refused.
public struct BSDPVendorClass: Hashable, Sendable, CustomStringConvertible {
    /// `AAPLBSDPC`.
    public static let prefix: [UInt8] = Array("AAPLBSDPC".utf8)

    /// Nil for a server's class identifier.
    public var architecture: String?
    /// The model (Open Firmware `model` / `hw.model`), nil when absent.
    public var systemIdentifier: String?

    /// The server's class identifier, exactly `AAPLBSDPC`.
    public static let server = BSDPVendorClass(architecture: nil, systemIdentifier: nil)

    public init(architecture: String?, systemIdentifier: String?) {
        self.architecture = architecture
        self.systemIdentifier = systemIdentifier
    }

    public var isServer: Bool { architecture == nil }

    /// True when `bytes` starts with `AAPLBSDPC` — the test Wireshark's BSDP heuristic uses.
    public static func hasBSDPPrefix<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        bytes.starts(with: prefix)
    }

    /// Parses an option 60 payload; throws `.badValue` (wrong prefix or separator, empty
    /// architecture) or `.badString` (NUL, newline, not UTF-8).
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> BSDPVendorClass {
        guard hasBSDPPrefix(bytes) else {
            throw WireError(.badValue, at: 0, "vendor class: does not start with AAPLBSDPC")
        }
        var rest = bytes[prefix.count...]
        if rest.isEmpty { return .server }
        guard rest.first == UInt8(ascii: "/") else {
            throw WireError(.badValue, at: prefix.count, "vendor class: expected '/' after AAPLBSDPC")
        }
        if let bad = rest.firstIndex(where: { $0 == 0 || $0 == UInt8(ascii: "\n") }) {
            throw WireError(.badString, at: bad, "vendor class: NUL or newline byte")
        }
        rest = rest.dropFirst()
        let slash = rest.firstIndex(of: UInt8(ascii: "/"))
        let archBytes = rest[rest.startIndex..<(slash ?? rest.endIndex)]
        guard !archBytes.isEmpty else {
            throw WireError(.badValue, at: rest.startIndex, "vendor class: empty architecture")
        }
        guard let arch = String(validating: archBytes, as: UTF8.self) else {
            throw WireError(.badString, at: rest.startIndex, "vendor class: architecture is not UTF-8")
        }
        guard let slash else { return BSDPVendorClass(architecture: arch, systemIdentifier: nil) }
        let modelBytes = rest[(slash + 1)...]
        guard let model = String(validating: modelBytes, as: UTF8.self) else {
            throw WireError(.badString, at: slash + 1, "vendor class: system identifier is not UTF-8")
        }
        return BSDPVendorClass(architecture: arch, systemIdentifier: model)
    }

    /// The option 60 payload.
    public var bytes: [UInt8] {
        var out = Self.prefix
        guard let architecture else { return out }
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: architecture.utf8)
        if let systemIdentifier {
            out.append(UInt8(ascii: "/"))
            out.append(contentsOf: systemIdentifier.utf8)
        }
        return out
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}
