/// Everything an INFORM[LIST] decides about one client, in one value: the images of option 9,
/// the default of option 7, and the per-image verdicts behind them. The BSDP responder sends
/// from it; `netboot explain` prints it — the same call, so the trace is the server's logic.
public struct ImageListDecision: Hashable, Sendable {
    public var client: NetBootClient
    /// Every catalog image with its verdict, in list order.
    public var eligibility: [ImageEligibility]
    /// The default image (option 7); nil when no image applies, and then Apple's server, and
    /// ours, sends no ACK[LIST] at all (reference §1.2 step 6).
    public var defaultImage: DefaultImageChoice?

    /// The images offered (option 9), in list order.
    public var offered: [NetBootImage] { eligibility.filter(\.isEligible).map(\.image) }

    /// Whether the server answers this client's LIST.
    public var answers: Bool { defaultImage != nil }
}

extension ImageCatalog {
    /// The LIST decision for a client (attribute filter of sub-option 11 included).
    public func listDecision(for client: NetBootClient) -> ImageListDecision {
        let verdicts = eligibility(for: client, purpose: .list)
        let first = verdicts.first(where: \.isEligible)?.image
        return ImageListDecision(
            client: client, eligibility: verdicts,
            defaultImage: first.map { DefaultImageChoice(image: $0, basis: $0.isDefault ? .markedDefault : .firstEligible) })
    }

    /// Whether a bound client's remembered image still applies when its DISCOVER arrives (the
    /// BSDP OFFER* case): the image must exist and pass every check, attribute filter included
    /// (bsdpd checks arch/model/MAC and the DISCOVER's filter list; reference §1.2).
    public func boundImage(imageID: UInt32, for client: NetBootClient) -> SelectDecision {
        select(imageID: imageID, for: client, purpose: .list)
    }
}
