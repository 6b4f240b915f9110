import NetbootWire

/// One reason an image is withheld from a client. These are the checks of Apple's
/// `NBImageEntry_supported_sysid` and `NBImageEntry_attributes_match` (bootp `nbimages.c`;
/// reference `bsdp-protocol-and-servers.md` §1.10), plus `IsEnabled` and
/// `DisabledSystemIdentifiers`, which Apple applies at load time or not at all.
public enum FilterReason: Hashable, Sendable, CustomStringConvertible {
    /// `IsEnabled` is false.
    case imageDisabled
    /// The client's architecture is not in `Architectures`.
    case architectureUnsupported(client: String, supported: [String])
    /// `EnabledSystemIdentifiers` is not empty and does not hold the client's model.
    case modelNotEnabled(client: String?, enabled: [String])
    /// `DisabledSystemIdentifiers` holds the client's model (an extension; Apple ignores the key).
    case modelDisabled(String)
    /// `DisabledMACAddresses` holds the client's MAC.
    case macDisabled(MACAddress)
    /// `EnabledMACAddresses` is not empty and does not hold the client's MAC.
    case macNotEnabled(MACAddress)
    /// `FilterOnly` image and the client sent no attribute filter list.
    case filterOnly
    /// The client's attribute filter list does not hold the image's attributes.
    case attributesNotRequested(image: UInt16, requested: [UInt16])

    /// A short stable code for JSON and tests.
    public var code: String {
        switch self {
        case .imageDisabled: "disabled"
        case .architectureUnsupported: "architecture"
        case .modelNotEnabled: "model-not-enabled"
        case .modelDisabled: "model-disabled"
        case .macDisabled: "mac-disabled"
        case .macNotEnabled: "mac-not-enabled"
        case .filterOnly: "filter-only"
        case .attributesNotRequested: "attribute-filter"
        }
    }

    public var description: String {
        switch self {
        case .imageDisabled:
            return "the image is disabled (IsEnabled false)"
        case let .architectureUnsupported(client, supported):
            return "architecture \(client) is not in Architectures [\(supported.joined(separator: ", "))]"
        case let .modelNotEnabled(client, enabled):
            let list = enabled.count > 8 ? enabled.prefix(8).joined(separator: ", ") + ", … (\(enabled.count))"
                                          : enabled.joined(separator: ", ")
            let model = client.map { "model \($0)" } ?? "the model is unknown and"
            return "\(model) is not in EnabledSystemIdentifiers [\(list)]"
        case let .modelDisabled(model):
            return "model \(model) is in DisabledSystemIdentifiers"
        case let .macDisabled(mac):
            return "MAC \(mac) is in DisabledMACAddresses"
        case let .macNotEnabled(mac):
            return "MAC \(mac) is not in EnabledMACAddresses"
        case .filterOnly:
            return "the image is FilterOnly and the client sent no attribute filter list"
        case let .attributesNotRequested(image, requested):
            let list = requested.map { Self.hex16($0) }.joined(separator: ", ")
            return "attributes \(Self.hex16(image)) are not in the client's filter list [\(list)]"
        }
    }

    static func hex16(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
