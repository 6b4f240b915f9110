import NetbootWire

/// The join with the BSDP wire codec (`NetbootWire/BSDP`, docs/bsdp.md): catalog values to and
/// from `BootImageID`, `BSDPBootImage` and `BSDPVendorClass`.
extension NetBootImage {
    /// The image's BSDP id (reference §1.5), the same bits as ``bootImageIDValue``.
    public var bootImageID: BootImageID { BootImageID(rawValue: bootImageIDValue) }

    /// The option-9 descriptor (the codec cuts the name to 246 bytes on a scalar boundary).
    public var bsdpBootImage: BSDPBootImage { BSDPBootImage(id: bootImageID, name: name) }
}

extension NetBootClient {
    /// From a decoded option 60 and the option-43 attribute filter list (sub-option 11); nil for
    /// a server's vendor class (`AAPLBSDPC` alone), which names no architecture.
    public init?(mac: MACAddress, vendorClass: BSDPVendorClass, attributeFilter: [UInt16]?) {
        guard let architecture = vendorClass.architecture else { return nil }
        self.init(mac: mac, architecture: architecture, systemIdentifier: vendorClass.systemIdentifier,
                  attributeFilter: attributeFilter)
    }
}

extension ImageCatalog {
    /// ``select(imageID:for:purpose:)`` with the wire codec's id.
    public func select(imageID: BootImageID, for client: NetBootClient, purpose: FilterPurpose = .select) -> SelectDecision {
        select(imageID: imageID.rawValue, for: client, purpose: purpose)
    }

    /// ``boundImage(imageID:for:)`` with the wire codec's id.
    public func boundImage(imageID: BootImageID, for client: NetBootClient) -> SelectDecision {
        boundImage(imageID: imageID.rawValue, for: client)
    }
}
