/// Whether one image is offered to one client, and every reason when it is not: the value the
/// BSDP responder acts on and `netboot explain` prints (reference §1.10).
public struct ImageEligibility: Hashable, Sendable {
    /// Offered to the client or not.
    public enum Verdict: String, Hashable, Sendable {
        case eligible, ineligible
    }

    public var image: NetBootImage
    public var verdict: Verdict
    /// Empty exactly when `verdict` is `.eligible`; otherwise every failed check, in check order.
    public var reasons: [FilterReason]

    public var isEligible: Bool { verdict == .eligible }

    /// Runs every check of ``FilterReason`` (all of them, so that `explain` can list them all).
    public init(image: NetBootImage, client: NetBootClient, purpose: FilterPurpose = .list) {
        var reasons: [FilterReason] = []
        if !image.isEnabled { reasons.append(.imageDisabled) }
        if !image.architectures.contains(client.architecture) {
            reasons.append(.architectureUnsupported(client: client.architecture, supported: image.architectures))
        }
        if !image.enabledSystemIdentifiers.isEmpty,
           !(client.systemIdentifier.map(image.enabledSystemIdentifiers.contains) ?? false) {
            reasons.append(.modelNotEnabled(client: client.systemIdentifier, enabled: image.enabledSystemIdentifiers))
        }
        if let model = client.systemIdentifier, image.disabledSystemIdentifiers.contains(model) {
            reasons.append(.modelDisabled(model))
        }
        if image.disabledMACAddresses.contains(client.mac) { reasons.append(.macDisabled(client.mac)) }
        if !image.enabledMACAddresses.isEmpty, !image.enabledMACAddresses.contains(client.mac) {
            reasons.append(.macNotEnabled(client.mac))
        }
        if purpose == .list {
            if let filter = client.attributeFilter {
                if !filter.contains(image.attributes) {
                    reasons.append(.attributesNotRequested(image: image.attributes, requested: filter))
                }
            } else if image.isFilterOnly {
                reasons.append(.filterOnly)
            }
        }
        self.image = image
        self.reasons = reasons
        self.verdict = reasons.isEmpty ? .eligible : .ineligible
    }
}
