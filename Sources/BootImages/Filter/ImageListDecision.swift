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

    /// One line per image, in list order, for `netboot explain`:
    /// `0x81000010 "Mojave Install": offered, default (IsDefault)` or
    /// `0x03000bb8 "Apple Hardware Test": not offered: the image is FilterOnly and …`.
    public var explanation: [String] {
        eligibility.map { verdict in
            let head = "\(verdict.image.idText) \"\(verdict.image.name)\": "
            guard verdict.isEligible else {
                return head + "not offered: " + verdict.reasons.map(\.description).joined(separator: "; ")
            }
            guard let chosen = defaultImage, chosen.image.bootImageIDValue == verdict.image.bootImageIDValue,
                  chosen.image.folder == verdict.image.folder else { return head + "offered" }
            return head + "offered, default (" + (chosen.basis == .markedDefault ? "IsDefault" : "first eligible in list order") + ")"
        } + (answers ? [] : ["no image applies: the server does not answer this client's INFORM[LIST]"])
    }
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
