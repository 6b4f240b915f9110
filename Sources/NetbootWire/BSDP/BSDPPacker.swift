/// Size rules for BSDP replies (Apple `bsdp_max_message_size` and `S_insert_image_list` in
/// `bootpd.tproj/bsdpd.c`; BSDP 1.0.8 §3.4.13; reference §1.9).
public enum BSDPReplySize {
    /// Replies are padded to at least this many DHCP bytes (`sizeof(struct bootp)`, the BOOTP
    /// minimum). The DHCP layer pads; the packer never needs to.
    public static let minimumReplyLength = 300
    /// Used when the client states no larger size: `DHCP_PACKET_MIN` = 236 + 312.
    public static let defaultMaxMessageSize = 548
    /// The largest size honoured, whatever the client asks.
    public static let maxMessageSizeCap = 8192
    /// Largest IP datagram for a reply sent through the link-layer sender (BSDP OFFER*), which
    /// cannot fragment: Apple caps DISCOVER replies at ETHERMTU (reference §1.8).
    public static let linkLayerMaxMessageSize = 1500
    /// IPv4 (20) and UDP (8) headers, taken off the client's size to get the DHCP budget.
    public static let ipUDPHeaderLength = 28
    /// One DHCP option carries at most 255 payload bytes.
    public static let maxInstancePayload = 255
    /// Code and length bytes in front of each option-43 instance.
    public static let instanceHeaderLength = 2

    /// The client's maximum message size (IP datagram): BSDP sub-option 12 if present, else
    /// DHCP option 57, else 548; a stated value is used only above 548 (as Apple does);
    /// capped at 8192.
    public static func maxMessageSize(bsdp: UInt16?, dhcp: UInt16?) -> Int {
        guard let asked = bsdp ?? dhcp, Int(asked) > defaultMaxMessageSize else {
            return defaultMaxMessageSize
        }
        return min(Int(asked), maxMessageSizeCap)
    }

    /// Bytes the whole DHCP message (header, options, end) may take: the maximum message
    /// size minus the IP and UDP headers.
    public static func dhcpMessageBudget(bsdp: UInt16?, dhcp: UInt16?) -> Int {
        maxMessageSize(bsdp: bsdp, dhcp: dhcp) - ipUDPHeaderLength
    }
}

/// The option-43 instances of one reply and the number of images left out to fit.
public struct BSDPPacking: Hashable, Sendable {
    /// Payloads of the option-43 instances, in order; each ≤ 255 bytes and a complete TLV run.
    public var instances: [[UInt8]]
    /// Images dropped from the end of the list because the reply was full.
    public var droppedImages: Int

    /// Bytes the instances take in the DHCP options, headers included.
    public var encodedLength: Int {
        instances.reduce(0) { $0 + BSDPReplySize.instanceHeaderLength + $1.count }
    }
}

/// Packs BSDP sub-options into self-contained option-43 instances (reference §1.9, Apple
/// `S_insert_image_list`).
///
/// Sub-options go in the given order, each whole in one instance; an instance is closed and a
/// new one opened when the next sub-option does not fit its 255 bytes. The boot image list
/// is split into several sub-options 9 at descriptor boundaries: descriptors are added to the
/// open sub-option 9 while the instance has room, then a new instance starts with a new
/// sub-option 9. With a budget, as many images as fit are kept — in order, dropped from the
/// end — and the count of dropped images is reported.
public enum BSDPPacker {
    /// Packs every sub-option with no size budget. Throws `.badLength` for a sub-option
    /// whose payload cannot fit one instance (over 253 bytes) or an empty attribute filter
    /// list, and `.badValue` for an invalid image id in sub-options 7, 8 or 9 or an unknown
    /// sub-option with code 0 or 255 (the decoder would read those as pad and end).
    public static func pack(_ options: [BSDPOption]) throws(WireError) -> [[UInt8]] {
        try layout(options, keepingImages: Int.max)
    }

    /// Packs to fit the client's budget. `dhcpMessageBudget` comes from
    /// ``BSDPReplySize/dhcpMessageBudget(bsdp:dhcp:)``; `restOfReplyLength` is the DHCP reply
    /// without its option-43 instances (236-byte header, cookie, other options, end).
    /// Throws `.overrun` when even the reply without any image does not fit.
    public static func pack(_ options: [BSDPOption], dhcpMessageBudget: Int,
                            restOfReplyLength: Int) throws(WireError) -> BSDPPacking {
        let room = dhcpMessageBudget - restOfReplyLength
        let total = imageCount(options)
        let full = try layout(options, keepingImages: total)
        if length(full) <= room { return BSDPPacking(instances: full, droppedImages: 0) }
        let bare = try layout(options, keepingImages: 0)
        guard length(bare) <= room else {
            throw WireError(.overrun, at: 0,
                            "BSDP reply needs \(length(bare)) bytes of option 43 without images; only \(room) left of a \(dhcpMessageBudget)-byte budget")
        }
        // Largest kept count that fits; the length grows with the count.
        var fits = 0, fails = total
        while fails - fits > 1 {
            let middle = fits + (fails - fits) / 2
            if length(try layout(options, keepingImages: middle)) <= room { fits = middle } else { fails = middle }
        }
        return BSDPPacking(instances: try layout(options, keepingImages: fits), droppedImages: total - fits)
    }

    static func imageCount(_ options: [BSDPOption]) -> Int {
        options.reduce(0) { count, option in
            if case .bootImageList(let images) = option { return count + images.count }
            return count
        }
    }

    static func length(_ instances: [[UInt8]]) -> Int {
        instances.reduce(0) { $0 + BSDPReplySize.instanceHeaderLength + $1.count }
    }

    static func layout(_ options: [BSDPOption], keepingImages limit: Int) throws(WireError) -> [[UInt8]] {
        let maximum = BSDPReplySize.maxInstancePayload
        var instances: [[UInt8]] = []
        var current: [UInt8] = []
        var keep = limit
        func close() {
            if !current.isEmpty { instances.append(current) }
            current = []
        }
        func place(_ tlv: [UInt8]) {
            if current.count + tlv.count > maximum { close() }
            current.append(contentsOf: tlv)
        }
        for option in options {
            switch option {
            case .bootImageList(let images) where !images.isEmpty:
                let kept = images.prefix(max(0, keep))
                keep -= kept.count
                var openLength: Int?  // index of the open sub-option 9's length byte
                for image in kept {
                    try check(image.id, "boot image list entry \"\(image.name)\"")
                    var writer = ByteWriter(capacity: 256)
                    image.encode(into: &writer)
                    let descriptor = writer.bytes
                    if let at = openLength, current.count + descriptor.count <= maximum {
                        current.append(contentsOf: descriptor)
                        current[at] = UInt8(Int(current[at]) + descriptor.count)
                    } else {
                        if current.count + 2 + descriptor.count > maximum { close() }
                        openLength = current.count + 1
                        current.append(BSDPOptionCode.bootImageList)
                        current.append(UInt8(descriptor.count))
                        current.append(contentsOf: descriptor)
                    }
                }
            default:
                switch option {
                case .defaultBootImage(let id): try check(id, "default boot image")
                case .selectedBootImage(let id): try check(id, "selected boot image")
                case .attributesFilterList(let values) where values.isEmpty:
                    throw WireError(.badLength, at: 0, "BSDP attribute filter list: needs at least one entry")
                case .unknown(let code, _) where code == BSDPOptionCode.pad || code == BSDPOptionCode.end:
                    throw WireError(.badValue, at: 0, "BSDP sub-option code \(code) is pad/end and carries no data")
                default: break
                }
                let payload = option.payload
                guard payload.count <= maximum - 2 else {
                    throw WireError(.badLength, at: 0,
                                    "BSDP sub-option \(option.code) (\(BSDPOptionCode.name(option.code))): \(payload.count) bytes do not fit one option 43 (max 253)")
                }
                place([option.code, UInt8(payload.count)] + payload)
            }
        }
        close()
        return instances
    }

    static func check(_ id: BootImageID, _ what: String) throws(WireError) {
        guard id.isValid else {
            throw WireError(.badValue, at: 0, "BSDP \(what): image id \(id) has index 0")
        }
    }
}
