import Testing
@testable import NetbootWire
import TestSupport

/// Packing of replies into self-contained option-43 instances within the client's budget
/// (reference §1.9; Apple `bsdp_max_message_size`, `S_insert_image_list`).
@Suite struct BSDPPackingTests {
    /// A 45-byte name: each descriptor is exactly 50 bytes.
    static func images(_ count: Int, nameLength: Int = 45) -> [BSDPBootImage] {
        (1...count).map { index in
            let label = "Image \(index) "
            let name = label + String(repeating: "x", count: nameLength - label.utf8.count)
            return BSDPBootImage(id: BootImageID(isInstall: index % 2 == 0, kind: .macOSX, index: UInt16(index)), name: name)
        }
    }

    static func reply(_ images: [BSDPBootImage]) -> BSDPMessage {
        .ackList(BSDPListReply(serverPriority: 32768, defaultImage: images.first?.id, images: images))
    }

    /// 236-byte header + cookie + 53 (3) + 54 (6) + 60 `AAPLBSDPC` (11) + end.
    static let restOfReply = 236 + 4 + 3 + 6 + 11 + 1

    @Test func budgetArithmetic() {
        typealias S = BSDPReplySize
        #expect(S.maxMessageSize(bsdp: nil, dhcp: nil) == 548)
        #expect(S.maxMessageSize(bsdp: nil, dhcp: 1500) == 1500)
        #expect(S.maxMessageSize(bsdp: 8192, dhcp: 1500) == 8192)
        #expect(S.maxMessageSize(bsdp: 1200, dhcp: 1500) == 1200)
        #expect(S.maxMessageSize(bsdp: 65535, dhcp: nil) == 8192)
        #expect(S.maxMessageSize(bsdp: nil, dhcp: 9000) == 8192)
        #expect(S.maxMessageSize(bsdp: 8193, dhcp: nil) == 8192)
        // A stated size counts only above 548; sub-option 12 still hides option 57 (Apple).
        #expect(S.maxMessageSize(bsdp: nil, dhcp: 548) == 548)
        #expect(S.maxMessageSize(bsdp: nil, dhcp: 549) == 549)
        #expect(S.maxMessageSize(bsdp: nil, dhcp: 300) == 548)
        #expect(S.maxMessageSize(bsdp: 500, dhcp: 1500) == 548)
        #expect(S.dhcpMessageBudget(bsdp: nil, dhcp: nil) == 520)
        #expect(S.dhcpMessageBudget(bsdp: nil, dhcp: 1500) == 1472)
        #expect(S.dhcpMessageBudget(bsdp: 8192, dhcp: 1500) == 8164)
        #expect(S.dhcpMessageBudget(bsdp: 60000, dhcp: nil) == 8164)
        #expect(S.minimumReplyLength == 300)
    }

    @Test func fortyLongNamesSplitOverSeveralInstancesWithinSubOption12() throws {
        let images = Self.images(40)
        #expect(images.allSatisfy { $0.encodedLength == 50 })
        let budget = BSDPReplySize.dhcpMessageBudget(bsdp: 8192, dhcp: 1500)
        let packing = try Self.reply(images).encode(dhcpMessageBudget: budget, restOfReplyLength: Self.restOfReply)
        #expect(packing.droppedImages == 0)
        // Instance 1: 1, 4, 7 (13 bytes) + 9 header + 4 descriptors = 215; then 5 per instance
        // (2 + 250 = 252): 4 + 7×5 + 1 = 40 → 9 instances.
        #expect(packing.instances.map(\.count) == [215, 252, 252, 252, 252, 252, 252, 252, 52])
        #expect(packing.encodedLength == 217 + 7 * 254 + 54)
        try checkSelfContained(packing.instances, images: images)
    }

    @Test func option57BudgetDropsFromTheEnd() throws {
        let images = Self.images(40)
        let budget = BSDPReplySize.dhcpMessageBudget(bsdp: nil, dhcp: 1500)
        let room = budget - Self.restOfReply  // 1211
        #expect(room == 1211)
        let packing = try Self.reply(images).encode(dhcpMessageBudget: budget, restOfReplyLength: Self.restOfReply)
        // 217 + 3×254 = 979; 232 left: a fourth instance takes 2 + 2 + 4×50 = 204.
        #expect(packing.instances.map(\.count) == [215, 252, 252, 252, 202])
        #expect(packing.encodedLength == 1183)
        #expect(packing.droppedImages == 17)
        try checkSelfContained(packing.instances, images: Array(images.prefix(23)))
    }

    @Test func defaultBudget548KeepsFirstInstanceOnly() throws {
        let images = Self.images(40)
        let budget = BSDPReplySize.dhcpMessageBudget(bsdp: nil, dhcp: nil)
        let packing = try Self.reply(images).encode(dhcpMessageBudget: budget, restOfReplyLength: Self.restOfReply)
        // room 259: the first instance (217) fits; a second one needs at least 54 of the 42 left.
        #expect(packing.instances.map(\.count) == [215])
        #expect(packing.droppedImages == 36)
        try checkSelfContained(packing.instances, images: Array(images.prefix(4)))
    }

    @Test func capAt8192() throws {
        let images = Self.images(200)
        let capped = try Self.reply(images).encode(dhcpMessageBudget: BSDPReplySize.dhcpMessageBudget(bsdp: 65535, dhcp: nil),
                                                   restOfReplyLength: Self.restOfReply)
        let at8192 = try Self.reply(images).encode(dhcpMessageBudget: 8164, restOfReplyLength: Self.restOfReply)
        #expect(capped == at8192)
        #expect(capped.droppedImages > 0)
        #expect(capped.encodedLength <= 8164 - Self.restOfReply)
        // Maximal: one more image would not fit.
        let kept = 200 - capped.droppedImages
        let more = try BSDPPacker.layout(Self.reply(images).options, keepingImages: kept + 1)
        #expect(BSDPPacker.length(more) > 8164 - Self.restOfReply)
        try checkSelfContained(capped.instances, images: Array(images.prefix(kept)))
    }

    @Test func exactFitBoundary() throws {
        let images = Self.images(5)
        let options = Self.reply(images).options
        let needed = BSDPPacker.length(try BSDPPacker.pack(options))
        let exact = try BSDPPacker.pack(options, dhcpMessageBudget: 600, restOfReplyLength: 600 - needed)
        #expect(exact.droppedImages == 0 && exact.encodedLength == needed)
        let short = try BSDPPacker.pack(options, dhcpMessageBudget: 600, restOfReplyLength: 600 - needed + 1)
        #expect(short.droppedImages == 1)
    }

    @Test func replyWithoutImagesThatCannotFitThrows() {
        let error = wireError { () throws(WireError) in
            try Self.reply(Self.images(3)).encode(dhcpMessageBudget: 520, restOfReplyLength: 510)
        }
        #expect(error?.kind == .overrun)
    }

    @Test func longNamesAreCutOnAScalarBoundary() throws {
        let ascii = String(repeating: "a", count: 245)
        #expect(BSDPBootImage(id: BootImageID(rawValue: 0x0100_0001), name: ascii + "é").encodedName == Array(ascii.utf8))
        let emoji = String(repeating: "b", count: 244) + "😀" + "tail"
        #expect(BSDPBootImage(id: BootImageID(rawValue: 0x0100_0001), name: emoji).encodedName.count == 244)
        let exact = String(repeating: "c", count: 242) + "😀"
        #expect(BSDPBootImage(id: BootImageID(rawValue: 0x0100_0001), name: exact).encodedName.count == 246)
        let japanese = String(repeating: "日", count: 100)  // 300 bytes
        let cut = BSDPBootImage(id: BootImageID(rawValue: 0x0100_0001), name: japanese).encodedName
        #expect(cut.count == 246 && String(validating: cut, as: UTF8.self) == String(repeating: "日", count: 82))
        var generator = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let scalars = (0..<Int.random(in: 1...120, using: &generator)).map { _ in randomScalar(&generator) }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            let limit = Int.random(in: 0...250, using: &generator)
            let bytes = BSDPBootImage.truncatedUTF8(text, maxBytes: limit)
            #expect(bytes.count <= limit)
            #expect(Array(text.utf8).starts(with: bytes))
            #expect(String(validating: bytes, as: UTF8.self) != nil)
            // Maximal: the next scalar would not have fitted.
            if bytes.count < text.utf8.count, let decoded = String(validating: bytes, as: UTF8.self) {
                let next = text.unicodeScalars[text.unicodeScalars.index(text.unicodeScalars.startIndex,
                                                                          offsetBy: decoded.unicodeScalars.count)]
                #expect(bytes.count + String(next).utf8.count > limit)
            }
        }
        // A 246-byte name fills the descriptor: 9 + len + 251 = 253 bytes in one instance.
        let big = BSDPBootImage(id: BootImageID(rawValue: 0x0100_0001), name: String(repeating: "z", count: 400))
        let packed = try BSDPPacker.pack([.bootImageList([big, big])])
        #expect(packed.map(\.count) == [253, 253])
        #expect(try BSDPOptions.decode(instances: packed).bootImageList.map(\.name) == Array(repeating: String(repeating: "z", count: 246), count: 2))
    }

    @Test func subOptionsBeforeAndAfterTheListStayWhole() throws {
        let name = String(repeating: "n", count: 200)
        let options: [BSDPOption] = [
            .messageType(.select), .selectedBootImage(BootImageID(rawValue: 0x8100_0001)),
            .machineName(name), .shadowMountPath(name), .shadowFilePath("NetBoot001/Shadow"),
            .unknown(code: 200, data: Array(repeating: 7, count: 253)),
        ]
        let instances = try BSDPPacker.pack(options)
        #expect(instances.allSatisfy { $0.count <= 255 })
        #expect(instances.map(\.count) == [211, 221, 255])
        #expect(try BSDPOptions.decode(instances: instances).options == options)
        for instance in instances { _ = try BSDPOptions.decode(instances: [instance]) }
    }

    @Test func encoderRefusesWhatCannotBeSent() throws {
        #expect(wireError { () throws(WireError) in try BSDPPacker.pack([.machineName(String(repeating: "m", count: 254))]) }?.kind == .badLength)
        #expect(wireError { () throws(WireError) in try BSDPPacker.pack([.machineName(String(repeating: "m", count: 253))]) } == nil)
        #expect(wireError { () throws(WireError) in try BSDPPacker.pack([.defaultBootImage(BootImageID(rawValue: 0x8100_0000))]) }?.kind == .badValue)
        #expect(wireError { () throws(WireError) in
            try BSDPPacker.pack([.bootImageList([BSDPBootImage(id: BootImageID(rawValue: 0x0100_0000), name: "null")])])
        }?.kind == .badValue)
        #expect(wireError { () throws(WireError) in try BSDPPacker.pack([.attributesFilterList(Array(repeating: 0x0100, count: 127))]) }?.kind == .badLength)
        #expect(wireError { () throws(WireError) in try BSDPPacker.pack([.attributesFilterList([])]) }?.kind == .badLength)
        #expect(wireError { () throws(WireError) in try BSDPPacker.pack([.unknown(code: 0, data: [1])]) }?.kind == .badValue)
        #expect(wireError { () throws(WireError) in try BSDPPacker.pack([.unknown(code: 255, data: [])]) }?.kind == .badValue)
        #expect(try BSDPPacker.pack([.unknown(code: 254, data: [1])]) == [[254, 1, 1]])
    }

    /// Every instance ≤ 255 bytes, decodes on its own (so no sub-option was split), and the
    /// whole reply decodes back to the expected images in order.
    private func checkSelfContained(_ instances: [[UInt8]], images: [BSDPBootImage]) throws {
        var joined: [BSDPBootImage] = []
        for instance in instances {
            #expect(instance.count <= 255)
            #expect(!instance.isEmpty)
            joined += try BSDPOptions.decode(instances: [instance]).bootImageList
        }
        #expect(joined == images)
        let options = try BSDPOptions.decode(instances: instances)
        #expect(options.bootImageList == images)
        #expect(options.messageType == .list && options.serverPriority == 32768)
        #expect(options.options.filter { $0.code == 9 }.count == 1)
    }
}

/// A random scalar mixing 1-, 2-, 3- and 4-byte UTF-8 forms.
func randomScalar(_ generator: inout SplitMix64) -> Unicode.Scalar {
    let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFD, 0x1_0000...0x1_FFFF]
    let range = ranges[Int.random(in: 0..<ranges.count, using: &generator)]
    return Unicode.Scalar(UInt32.random(in: range, using: &generator)) ?? "?"
}
