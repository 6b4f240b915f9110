/// The filter decisions the BSDP responder makes and `netboot explain` traces. All pure:
/// catalog and client in, values out.
extension ImageCatalog {
    /// Every image (disabled ones included) with its verdict for this client, in list order.
    public func eligibility(for client: NetBootClient, purpose: FilterPurpose = .list) -> [ImageEligibility] {
        images.map { ImageEligibility(image: $0, client: client, purpose: purpose) }
    }

    /// The images an ACK[LIST] offers this client, in list order (option 9).
    public func offeredImages(for client: NetBootClient) -> [NetBootImage] {
        eligibility(for: client).filter(\.isEligible).map(\.image)
    }

    /// The default image for this client (option 7): the first eligible image in list order,
    /// which is an `IsDefault` image when one applies (Apple `NBImageList_default`). Nil means
    /// the server has nothing for this client and, per the spec, does not answer.
    public func defaultImage(for client: NetBootClient) -> DefaultImageChoice? {
        listDecision(for: client).defaultImage
    }

    /// The decision for an INFORM[SELECT] naming `imageID` (option 8): the image when it exists
    /// and passes the architecture, model and MAC checks; else why ACK[FAILED] is due.
    public func select(imageID: UInt32, for client: NetBootClient, purpose: FilterPurpose = .select) -> SelectDecision {
        guard let image = self.image(id: imageID) ?? images.first(where: { $0.bootImageIDValue == imageID }) else {
            return .failed(.unknownImage(imageID))
        }
        let verdict = ImageEligibility(image: image, client: client, purpose: purpose)
        return verdict.isEligible ? .selected(image) : .failed(.filtered(image, verdict.reasons))
    }
}

/// The default image and why it is the default.
public struct DefaultImageChoice: Hashable, Sendable {
    public enum Basis: String, Hashable, Sendable {
        /// The image has `IsDefault` and is the first such image that applies.
        case markedDefault = "is-default"
        /// No `IsDefault` image applies; this is the first eligible image in list order.
        case firstEligible = "first-eligible"
    }

    public var image: NetBootImage
    public var basis: Basis
}

/// The answer to an INFORM[SELECT]: ACK[SELECT] with the image, or ACK[FAILED] with a reason.
public enum SelectDecision: Hashable, Sendable {
    case selected(NetBootImage)
    case failed(SelectFailure)
}

/// Why an INFORM[SELECT] gets ACK[FAILED] (reference §1.6).
public enum SelectFailure: Hashable, Sendable, CustomStringConvertible {
    /// No image in the catalog has this id.
    case unknownImage(UInt32)
    /// The image exists but is not for this client.
    case filtered(NetBootImage, [FilterReason])

    public var description: String {
        switch self {
        case let .unknownImage(id): "no image has id \(NetBootImage.hex(id))"
        case let .filtered(image, reasons):
            "image \(image.idText) \"\(image.name)\" is not for this client: "
                + reasons.map(\.description).joined(separator: "; ")
        }
    }
}
