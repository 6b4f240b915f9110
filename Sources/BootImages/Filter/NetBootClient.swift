import NetbootWire

/// What the image filters know about a BSDP client (reference `bsdp-protocol-and-servers.md`
/// §1.3, §1.4, §1.10): its hardware address, the architecture and system identifier (model)
/// from option 60 `AAPLBSDPC/<arch>/<model>`, and the attribute filter list of sub-option 11.
public struct NetBootClient: Hashable, Sendable {
    public var mac: MACAddress
    /// `i386`, `ppc`, `arm`, … compared exactly, as Apple does.
    public var architecture: String
    /// The model, e.g. `MacBookPro11,2`; nil when unknown (for `netboot explain` without `--model`).
    public var systemIdentifier: String?
    /// BSDP sub-option 11 (16-bit image attributes); nil when the client sent none.
    public var attributeFilter: [UInt16]?

    public init(mac: MACAddress, architecture: String, systemIdentifier: String?, attributeFilter: [UInt16]? = nil) {
        self.mac = mac
        self.architecture = architecture
        self.systemIdentifier = systemIdentifier
        self.attributeFilter = attributeFilter
    }

    /// From an option-60 text `AAPLBSDPC/<arch>/<model>` (Apple's `bsdp_parse_class_id`: both
    /// parts non-empty, no NUL or newline); nil otherwise.
    public init?(mac: MACAddress, vendorClass: String, attributeFilter: [UInt16]? = nil) {
        let parts = vendorClass.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "AAPLBSDPC", !parts[1].isEmpty, !parts[2].isEmpty,
              !vendorClass.contains("\0"), !vendorClass.contains("\n") else { return nil }
        self.init(mac: mac, architecture: String(parts[1]), systemIdentifier: String(parts[2]),
                  attributeFilter: attributeFilter)
    }
}

/// Which BSDP exchange a filter decision serves.
public enum FilterPurpose: Hashable, Sendable {
    /// INFORM[LIST] and a bound client's DISCOVER (OFFER*): every check, attribute filter included.
    case list
    /// INFORM[SELECT]: Apple re-checks architecture, model and MAC but not attributes or
    /// `FilterOnly` (bsdpd `S_bsdp_select`, reference §1.6).
    case select
}
