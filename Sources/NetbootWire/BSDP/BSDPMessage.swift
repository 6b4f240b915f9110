/// The DHCP message type (option 53, RFC 2132 §9.6) a BSDP payload travels in; it decides
/// how option 43 is read (Apple BSDP 1.0.8 §3.2–3.3, reference §1.6).
public enum BSDPCarrier: UInt8, Hashable, Sendable {
    case discover = 1
    case offer = 2
    case request = 3
    case ack = 5
    case inform = 8
}

/// A client's INFORM[LIST] (reference §1.6, V11): sub-options 1=LIST, 2, [10], [5], [12], [11].
public struct BSDPListRequest: Hashable, Sendable {
    public var version: BSDPVersion
    /// Reply port (sub-option 5); nil → 68.
    public var replyPort: UInt16?
    public var isNetBoot10Firmware: Bool
    /// Attributes the client accepts (sub-option 11); nil = no filter.
    public var attributesFilter: [UInt16]?
    /// Sub-option 12.
    public var maxMessageSize: UInt16?
    /// Sub-options not modelled above (including unknown codes), in wire order.
    public var additional: [BSDPOption]

    public init(version: BSDPVersion = .v1_1, replyPort: UInt16? = nil, isNetBoot10Firmware: Bool = false,
                attributesFilter: [UInt16]? = nil, maxMessageSize: UInt16? = nil, additional: [BSDPOption] = []) {
        self.version = version
        self.replyPort = replyPort
        self.isNetBoot10Firmware = isNetBoot10Firmware
        self.attributesFilter = attributesFilter
        self.maxMessageSize = maxMessageSize
        self.additional = additional
    }
}

/// A client's INFORM[SELECT]: 1=SELECT, 2, 3 server id, 8 selected image, [5], [10].
public struct BSDPSelectRequest: Hashable, Sendable {
    public var version: BSDPVersion
    /// The DHCP server identifier of the chosen ACK[LIST]; a server answers only if it is its own.
    public var serverIdentifier: IPv4Address?
    /// The image the client chose; nil means the server's default (Apple).
    public var selectedImage: BootImageID?
    public var replyPort: UInt16?
    public var isNetBoot10Firmware: Bool
    public var additional: [BSDPOption]

    public init(version: BSDPVersion = .v1_1, serverIdentifier: IPv4Address?, selectedImage: BootImageID?,
                replyPort: UInt16? = nil, isNetBoot10Firmware: Bool = false, additional: [BSDPOption] = []) {
        self.version = version
        self.serverIdentifier = serverIdentifier
        self.selectedImage = selectedImage
        self.replyPort = replyPort
        self.isNetBoot10Firmware = isNetBoot10Firmware
        self.additional = additional
    }
}

/// The BSDP part of a client's DHCP DISCOVER or REQUEST: 2 version, [11] filter.
public struct BSDPClientParameters: Hashable, Sendable {
    public var version: BSDPVersion
    public var attributesFilter: [UInt16]?
    public var additional: [BSDPOption]

    public init(version: BSDPVersion = .v1_1, attributesFilter: [UInt16]? = nil, additional: [BSDPOption] = []) {
        self.version = version
        self.attributesFilter = attributesFilter
        self.additional = additional
    }
}

/// ACK[LIST]: 1=LIST, 4 priority, 7 default, [8 selected], 9 list — Apple's order. An empty
/// image list sends no sub-option 9 (a version 1.0 client must not get one).
public struct BSDPListReply: Hashable, Sendable {
    public var serverPriority: UInt16?
    public var defaultImage: BootImageID?
    /// Only when the server holds a binding for the client that is still valid.
    public var selectedImage: BootImageID?
    public var images: [BSDPBootImage]
    public var additional: [BSDPOption]

    public init(serverPriority: UInt16?, defaultImage: BootImageID?, selectedImage: BootImageID? = nil,
                images: [BSDPBootImage], additional: [BSDPOption] = []) {
        self.serverPriority = serverPriority
        self.defaultImage = defaultImage
        self.selectedImage = selectedImage
        self.images = images
        self.additional = additional
    }
}

/// ACK[SELECT] (1=SELECT, 8, 130, [128, 129]) and BSDP OFFER* (the same without sub-option 1).
public struct BSDPSelectReply: Hashable, Sendable {
    public var selectedImage: BootImageID?
    /// Apple always sends it for NFS/HTTP images (`NetBoot%03d`).
    public var machineName: String?
    /// Diskless images only: `afp://user:pass@ip/<sharepoint>`.
    public var shadowMountPath: String?
    /// Diskless images only: `<machine name>/Shadow`.
    public var shadowFilePath: String?
    public var additional: [BSDPOption]

    public init(selectedImage: BootImageID?, machineName: String? = nil, shadowMountPath: String? = nil,
                shadowFilePath: String? = nil, additional: [BSDPOption] = []) {
        self.selectedImage = selectedImage
        self.machineName = machineName
        self.shadowMountPath = shadowMountPath
        self.shadowFilePath = shadowFilePath
        self.additional = additional
    }
}

/// A BSDP message as the payload model of option 43, together with the DHCP message type it
/// travels in (Apple BSDP 1.0.8 §3.3, tables 1–3; reference §1.6).
public enum BSDPMessage: Hashable, Sendable {
    case informList(BSDPListRequest)
    case informSelect(BSDPSelectRequest)
    /// BSDP parameters in a DHCP DISCOVER.
    case discover(BSDPClientParameters)
    /// BSDP parameters in a DHCP REQUEST.
    case request(BSDPClientParameters)
    case ackList(BSDPListReply)
    case ackSelect(BSDPSelectReply)
    /// ACK[FAILED]: 1=FAILED only; other sub-options received are kept.
    case ackFailed(additional: [BSDPOption])
    /// The BSDP OFFER* to a bound client's DISCOVER: no message type sub-option.
    case offer(BSDPSelectReply)

    /// The DHCP message type this message travels in.
    public var carrier: BSDPCarrier {
        switch self {
        case .informList, .informSelect: .inform
        case .discover: .discover
        case .request: .request
        case .ackList, .ackSelect, .ackFailed: .ack
        case .offer: .offer
        }
    }

    /// The sub-options in the order Apple's bootpd and firmware send them, then `additional`.
    public var options: [BSDPOption] {
        var out: [BSDPOption] = []
        func add<T>(_ value: T?, _ make: (T) -> BSDPOption) { if let value { out.append(make(value)) } }
        switch self {
        case .informList(let m):
            // Apple's client order (`BSDPClient.c`, reference V11): 1, 2, [10], [5], [12], [11].
            out = [.messageType(.list), .version(m.version)]
            if m.isNetBoot10Firmware { out.append(.netBoot10Firmware) }
            add(m.replyPort, BSDPOption.replyPort)
            add(m.maxMessageSize, BSDPOption.maxMessageSize)
            add(m.attributesFilter, BSDPOption.attributesFilterList)
            out += m.additional
        case .informSelect(let m):
            out = [.messageType(.select), .version(m.version)]
            add(m.serverIdentifier, BSDPOption.serverIdentifier)
            add(m.selectedImage, BSDPOption.selectedBootImage)
            add(m.replyPort, BSDPOption.replyPort)
            if m.isNetBoot10Firmware { out.append(.netBoot10Firmware) }
            out += m.additional
        case .discover(let m), .request(let m):
            out = [.version(m.version)]
            add(m.attributesFilter, BSDPOption.attributesFilterList)
            out += m.additional
        case .ackList(let m):
            out = [.messageType(.list)]
            add(m.serverPriority, BSDPOption.serverPriority)
            add(m.defaultImage, BSDPOption.defaultBootImage)
            add(m.selectedImage, BSDPOption.selectedBootImage)
            out += m.additional
            if !m.images.isEmpty { out.append(.bootImageList(m.images)) }
        case .ackSelect(let m):
            out = [.messageType(.select)] + Self.selectOptions(m)
        case .ackFailed(let additional):
            out = [.messageType(.failed)] + additional
        case .offer(let m):
            out = Self.selectOptions(m)
        }
        return out
    }

    private static func selectOptions(_ m: BSDPSelectReply) -> [BSDPOption] {
        var out: [BSDPOption] = []
        if let id = m.selectedImage { out.append(.selectedBootImage(id)) }
        if let name = m.machineName { out.append(.machineName(name)) }
        if let path = m.shadowMountPath { out.append(.shadowMountPath(path)) }
        if let path = m.shadowFilePath { out.append(.shadowFilePath(path)) }
        return out + m.additional
    }

    /// Packs the message into option-43 instances with no size budget.
    public func encode() throws(WireError) -> [[UInt8]] { try BSDPPacker.pack(options) }

    /// Packs the message to fit the client's budget (see ``BSDPPacker``).
    public func encode(dhcpMessageBudget: Int, restOfReplyLength: Int) throws(WireError) -> BSDPPacking {
        try BSDPPacker.pack(options, dhcpMessageBudget: dhcpMessageBudget, restOfReplyLength: restOfReplyLength)
    }

    /// Decodes the option-43 instances of a BSDP packet carried in `carrier`.
    public static func decode(carrier: BSDPCarrier, instances: [[UInt8]]) throws(WireError) -> BSDPMessage {
        try decode(carrier: carrier, options: BSDPOptions.decode(instances: instances))
    }

    /// Builds the typed message from decoded sub-options. Throws `.badValue` when the
    /// message type does not belong in `carrier` (e.g. FAILED in an INFORM, a type missing
    /// from an INFORM or ACK) or a request lacks its version.
    public static func decode(carrier: BSDPCarrier, options: BSDPOptions) throws(WireError) -> BSDPMessage {
        let type = options.messageType
        switch carrier {
        case .inform:
            let version = try requireVersion(options)
            switch type {
            case .list?:
                let rest = remaining(options, used: [1, 2, 5, 10, 11, 12])
                return .informList(BSDPListRequest(
                    version: version, replyPort: options.replyPort, isNetBoot10Firmware: options.isNetBoot10Firmware,
                    attributesFilter: options.attributesFilterList, maxMessageSize: options.maxMessageSize,
                    additional: rest))
            case .select?:
                let rest = remaining(options, used: [1, 2, 3, 5, 8, 10])
                return .informSelect(BSDPSelectRequest(
                    version: version, serverIdentifier: options.serverIdentifier,
                    selectedImage: options.selectedBootImage, replyPort: options.replyPort,
                    isNetBoot10Firmware: options.isNetBoot10Firmware, additional: rest))
            default:
                throw WireError(.badValue, at: 0, "BSDP INFORM: message type \(type.map { "\($0)" } ?? "missing"), must be LIST or SELECT")
            }
        case .discover, .request:
            let version = try requireVersion(options)
            let parameters = BSDPClientParameters(version: version, attributesFilter: options.attributesFilterList,
                                                  additional: remaining(options, used: [2, 11]))
            return carrier == .discover ? .discover(parameters) : .request(parameters)
        case .ack:
            switch type {
            case .list?:
                return .ackList(BSDPListReply(
                    serverPriority: options.serverPriority, defaultImage: options.defaultBootImage,
                    selectedImage: options.selectedBootImage, images: options.bootImageList,
                    additional: remaining(options, used: [1, 4, 7, 8, 9])))
            case .select?:
                return .ackSelect(selectReply(options, used: [1]))
            case .failed?:
                return .ackFailed(additional: remaining(options, used: [1]))
            case nil:
                throw WireError(.badValue, at: 0, "BSDP ACK: message type missing")
            }
        case .offer:
            return .offer(selectReply(options, used: []))
        }
    }

    private static func requireVersion(_ options: BSDPOptions) throws(WireError) -> BSDPVersion {
        guard let version = options.version else {
            throw WireError(.badValue, at: 0, "BSDP request: version sub-option missing")
        }
        return version
    }

    private static func selectReply(_ options: BSDPOptions, used: Set<UInt8>) -> BSDPSelectReply {
        BSDPSelectReply(selectedImage: options.selectedBootImage, machineName: options.machineName,
                        shadowMountPath: options.shadowMountPath, shadowFilePath: options.shadowFilePath,
                        additional: remaining(options, used: used.union([8, 128, 129, 130])))
    }

    /// Sub-options not taken by the model: every one whose code is not in `used`, and any
    /// later repeat of a used code (so nothing received is silently lost).
    private static func remaining(_ options: BSDPOptions, used: Set<UInt8>) -> [BSDPOption] {
        var seen = Set<UInt8>()
        var rest: [BSDPOption] = []
        for option in options.options {
            if used.contains(option.code), !seen.contains(option.code) {
                seen.insert(option.code)
            } else {
                rest.append(option)
            }
        }
        return rest
    }
}
