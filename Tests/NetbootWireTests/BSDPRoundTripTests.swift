import Testing
@testable import NetbootWire
import TestSupport

/// Round-trip properties on seeded random values: options → instances → options is the
/// identity (and byte-exact on re-encoding); messages → bytes → messages likewise.
@Suite struct BSDPRoundTripTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomOptionListsRoundTrip(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<150 {
            let options = randomOptions(&generator)
            let instances = try BSDPPacker.pack(options)
            #expect(instances.allSatisfy { !$0.isEmpty && $0.count <= 255 })
            for instance in instances { _ = try BSDPOptions.decode(instances: [instance]) }
            let decoded = try BSDPOptions.decode(instances: instances)
            #expect(decoded.options == options.map(normalized))
            #expect(try BSDPPacker.pack(decoded.options) == instances)
        }
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func randomMessagesRoundTrip(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let message = randomMessage(&generator)
            let instances = try message.encode()
            let decoded = try BSDPMessage.decode(carrier: message.carrier, instances: instances)
            #expect(decoded == normalized(message))
        }
    }

    @Test(arguments: [21, 22, 23] as [UInt64])
    func randomBudgetsKeepAPrefixThatFits(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<60 {
            let images = randomImages(&generator, count: Int.random(in: 1...120, using: &generator))
            let reply = BSDPMessage.ackList(BSDPListReply(serverPriority: UInt16.random(in: 0...UInt16.max, using: &generator),
                                                          defaultImage: images[0].id, images: images))
            let bsdp: UInt16? = Bool.random(using: &generator) ? UInt16.random(in: 0...12000, using: &generator) : nil
            let dhcp: UInt16? = Bool.random(using: &generator) ? UInt16.random(in: 0...12000, using: &generator) : nil
            let budget = BSDPReplySize.dhcpMessageBudget(bsdp: bsdp, dhcp: dhcp)
            let rest = Int.random(in: 241...320, using: &generator)
            let packing = try reply.encode(dhcpMessageBudget: budget, restOfReplyLength: rest)
            #expect(packing.encodedLength <= budget - rest)
            #expect(packing.instances.allSatisfy { $0.count <= 255 })
            let kept = images.count - packing.droppedImages
            let decoded = try BSDPOptions.decode(instances: packing.instances)
            #expect(decoded.bootImageList == Array(images.prefix(kept)).map(normalized))
            if packing.droppedImages > 0 {
                let more = try BSDPPacker.layout(reply.options, keepingImages: kept + 1)
                #expect(BSDPPacker.length(more) > budget - rest)
            }
        }
    }

    // MARK: generators

    private func randomOptions(_ g: inout SplitMix64) -> [BSDPOption] {
        var options: [BSDPOption] = []
        var usedList = false, usedFilter = false
        for _ in 0..<Int.random(in: 0...12, using: &g) {
            switch Int.random(in: 0...15, using: &g) {
            case 0: options.append(.messageType([.list, .select, .failed][Int.random(in: 0...2, using: &g)]))
            case 1: options.append(.version(BSDPVersion(rawValue: UInt16.random(in: 0...UInt16.max, using: &g))))
            case 2: options.append(.serverIdentifier(IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &g))))
            case 3: options.append(.serverPriority(UInt16.random(in: 0...UInt16.max, using: &g)))
            case 4: options.append(.replyPort(UInt16.random(in: 0...UInt16.max, using: &g)))
            case 5: options.append(.bootImageListPath(randomText(&g, maxBytes: 60)))
            case 6: options.append(.defaultBootImage(randomID(&g)))
            case 7: options.append(.selectedBootImage(randomID(&g)))
            case 8 where !usedList:
                usedList = true
                options.append(.bootImageList(randomImages(&g, count: Int.random(in: 0...30, using: &g))))
            case 9: options.append(.netBoot10Firmware)
            case 10 where !usedFilter:
                usedFilter = true
                options.append(.attributesFilterList((0..<Int.random(in: 1...126, using: &g)).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }))
            case 11: options.append(.maxMessageSize(UInt16.random(in: 0...UInt16.max, using: &g)))
            case 12: options.append(.shadowMountPath(randomText(&g, maxBytes: 253)))
            case 13: options.append(.shadowFilePath(randomText(&g, maxBytes: 100)))
            case 14: options.append(.machineName(randomText(&g, maxBytes: 40)))
            default:
                options.append(.unknown(code: randomUnknownCode(&g),
                                        data: (0..<Int.random(in: 0...253, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }))
            }
        }
        return options
    }

    private func randomMessage(_ g: inout SplitMix64) -> BSDPMessage {
        let extra: [BSDPOption] = (0..<Int.random(in: 0...2, using: &g)).map { _ in
            .unknown(code: randomUnknownCode(&g), data: (0..<Int.random(in: 0...20, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) })
        }
        func maybe<T>(_ make: () -> T, _ g: inout SplitMix64) -> T? { Bool.random(using: &g) ? make() : nil }
        let version = BSDPVersion(rawValue: [0x0101, 0x0100, 0][Int.random(in: 0...2, using: &g)])
        let filter: [UInt16]? = Bool.random(using: &g) ? (0..<Int.random(in: 1...5, using: &g)).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) } : nil
        let port: UInt16? = Bool.random(using: &g) ? UInt16.random(in: 1...1023, using: &g) : nil
        switch Int.random(in: 0...7, using: &g) {
        case 0:
            return .informList(BSDPListRequest(version: version, replyPort: port, isNetBoot10Firmware: Bool.random(using: &g),
                                               attributesFilter: filter,
                                               maxMessageSize: Bool.random(using: &g) ? 8192 : nil, additional: extra))
        case 1:
            return .informSelect(BSDPSelectRequest(version: version, serverIdentifier: IPv4Address(10, 0, 0, UInt8.random(in: 1...254, using: &g)),
                                                   selectedImage: randomID(&g), replyPort: port,
                                                   isNetBoot10Firmware: Bool.random(using: &g), additional: extra))
        case 2: return .discover(BSDPClientParameters(version: version, attributesFilter: filter, additional: extra))
        case 3: return .request(BSDPClientParameters(version: version, attributesFilter: filter, additional: extra))
        case 4:
            let images = randomImages(&g, count: Int.random(in: 0...25, using: &g))
            return .ackList(BSDPListReply(serverPriority: UInt16.random(in: 0...UInt16.max, using: &g), defaultImage: images.first?.id,
                                          selectedImage: Bool.random(using: &g) ? images.last?.id : nil, images: images, additional: extra))
        case 5: return .ackSelect(randomSelectReply(&g, extra: extra))
        case 6: return .ackFailed(additional: extra)
        default: return .offer(randomSelectReply(&g, extra: extra))
        }
    }

    private func randomSelectReply(_ g: inout SplitMix64, extra: [BSDPOption]) -> BSDPSelectReply {
        let diskless = Bool.random(using: &g)
        let name = "NetBoot\(Int.random(in: 0...999, using: &g))"
        return BSDPSelectReply(selectedImage: randomID(&g), machineName: Bool.random(using: &g) ? name : nil,
                               shadowMountPath: diskless ? "afp://u:\(randomText(&g, maxBytes: 30))@10.0.0.1/NetBootClients0" : nil,
                               shadowFilePath: diskless ? "\(name)/Shadow" : nil, additional: extra)
    }

    private func randomImages(_ g: inout SplitMix64, count: Int) -> [BSDPBootImage] {
        (0..<count).map { _ in BSDPBootImage(id: randomID(&g), name: randomText(&g, maxBytes: Int.random(in: 0...300, using: &g))) }
    }

    private func randomID(_ g: inout SplitMix64) -> BootImageID {
        BootImageID(attributes: UInt16.random(in: 0...UInt16.max, using: &g), index: UInt16.random(in: 1...UInt16.max, using: &g))
    }

    private func randomUnknownCode(_ g: inout SplitMix64) -> UInt8 {
        let known: Set<UInt8> = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 128, 129, 130, 255]
        while true {
            let code = UInt8.random(in: 0...255, using: &g)
            if !known.contains(code) { return code }
        }
    }

    /// Text of at most `maxBytes` UTF-8 bytes (longer names exercise the 246-byte cut).
    private func randomText(_ g: inout SplitMix64, maxBytes: Int) -> String {
        var text = ""
        while true {
            var next = text
            next.unicodeScalars.append(randomScalar(&g))
            if next.utf8.count > maxBytes || Int.random(in: 0...30, using: &g) == 0 { return text }
            text = next
        }
    }

    // MARK: what decoding gives back

    private func normalized(_ image: BSDPBootImage) -> BSDPBootImage {
        BSDPBootImage(id: image.id, name: String(decoding: image.encodedName, as: UTF8.self))
    }

    private func normalized(_ option: BSDPOption) -> BSDPOption {
        if case .bootImageList(let images) = option { return .bootImageList(images.map(normalized)) }
        return option
    }

    private func normalized(_ message: BSDPMessage) -> BSDPMessage {
        guard case .ackList(var reply) = message else { return message }
        reply.images = reply.images.map(normalized)
        return .ackList(reply)
    }
}
