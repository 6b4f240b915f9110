import Testing
@testable import NetbootWire
import TestSupport

/// Property tests: seeded random valid messages encode and decode to equal values, and
/// re-encoding what was decoded gives the same bytes.
@Suite struct DHCPRoundTripTests {
    static func randomBytes(_ count: Int, using rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A field value in decoded (canonical) form: no trailing zero bytes.
    static func randomField(maxLength: Int, using rng: inout SplitMix64) -> [UInt8] {
        var bytes = randomBytes(Int.random(in: 0...maxLength, using: &rng), using: &rng)
        while bytes.last == 0 { bytes.removeLast() }
        return bytes
    }

    static func randomOptions(budget: Int, maxLength: Int, using rng: inout SplitMix64) -> [DHCPOption] {
        var options: [DHCPOption] = []
        var used = 0
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            var code = UInt8.random(in: 1...254, using: &rng)
            if code == DHCPOptionCode.optionOverload.rawValue { code = 43 }
            let data = randomBytes(Int.random(in: 0...maxLength, using: &rng), using: &rng)
            guard used + 2 + data.count <= budget else { break }
            used += 2 + data.count
            options.append(DHCPOption(DHCPOptionCode(code), data))
        }
        return options
    }

    static func randomMessage(using rng: inout SplitMix64) -> DHCPMessage {
        var message = DHCPMessage(
            op: Bool.random(using: &rng) ? .bootRequest : .bootReply,
            htype: UInt8.random(in: 0...255, using: &rng), hlen: UInt8.random(in: 0...16, using: &rng),
            hops: UInt8.random(in: 0...255, using: &rng), xid: UInt32.random(in: 0...UInt32.max, using: &rng),
            secs: UInt16.random(in: 0...UInt16.max, using: &rng), flags: UInt16.random(in: 0...UInt16.max, using: &rng),
            ciaddr: IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &rng)),
            yiaddr: IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &rng)),
            siaddr: IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &rng)),
            giaddr: IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &rng)),
            chaddr: randomBytes(16, using: &rng),
            sname: randomField(maxLength: 64, using: &rng), file: randomField(maxLength: 128, using: &rng),
            options: randomOptions(budget: 1200, maxLength: 255, using: &rng))
        switch Int.random(in: 0...5, using: &rng) {
        case 1: overload(&message, .file, using: &rng)
        case 2: overload(&message, .sname, using: &rng)
        case 3: overload(&message, .both, using: &rng)
        default: break
        }
        return message
    }

    static func overload(_ message: inout DHCPMessage, _ value: DHCPOptionOverload, using rng: inout SplitMix64) {
        let position = Int.random(in: 0...message.options.count, using: &rng)
        message.options.insert(DHCPOption(.optionOverload, [value.rawValue]), at: position)
        if value.includesFile {
            message.file = []
            message.fileOptions = randomOptions(budget: 127, maxLength: 60, using: &rng)
        }
        if value.includesSname {
            message.sname = []
            message.snameOptions = randomOptions(budget: 63, maxLength: 30, using: &rng)
        }
    }

    /// A fixed set of varied valid messages for the truncation and mutation tests.
    static func sampleMessages() throws -> [DHCPMessage] {
        var rng = SplitMix64(seed: 42)
        var samples = (0..<6).map { _ in randomMessage(using: &rng) }
        var offer = DHCPMessage(op: .bootReply, xid: 0x1234, mac: MACAddress(rawValue: 0x0800_2712_3456))
        offer.messageType = .offer
        offer.setValue(.relayAgentInformation, RelayAgentInformation([.init(.circuitID, [1, 2]), .init(.remoteID, [3])]))
        offer.setValue(.clientMachineIdentifier, DHCPClientMachineIdentifier(identifier: Array(0..<16)))
        offer.setValue(.optionOverload, .both)
        offer.fileOptions = [DHCPOption(.bootfileName, Array("boot/x".utf8))]
        offer.snameOptions = [DHCPOption(.tftpServerName, Array("tftp".utf8))]
        offer.set(.vendorSpecificInformation, randomBytes(700, using: &rng))
        samples.append(offer)
        return samples
    }

    @Test func randomMessagesRoundTrip() throws {
        var rng = SplitMix64(seed: 0xD4C9)
        for iteration in 0..<1_000 {
            let message = Self.randomMessage(using: &rng)
            let minimum = [0, 300, 576][iteration % 3]
            let bytes = try message.encode(minimumSize: minimum)
            #expect(bytes.count == max(minimum, message.encodedSize))
            let decoded = try DHCPMessage(decoding: bytes)
            #expect(decoded == message, "iteration \(iteration)")
            #expect(try decoded.encode(minimumSize: minimum) == bytes, "iteration \(iteration)")
        }
    }

    @Test func longValuesRoundTripThroughRFC3396() throws {
        var rng = SplitMix64(seed: 3396)
        for _ in 0..<200 {
            var message = DHCPMessage(op: .bootReply, xid: 1, mac: MACAddress(rawValue: 5))
            var values: [DHCPOptionCode: [UInt8]] = [:]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let code = DHCPOptionCode(UInt8.random(in: 60...70, using: &rng))
                let data = Self.randomBytes(Int.random(in: 0...1200, using: &rng), using: &rng)
                message.set(code, data)
                values[code] = data
            }
            let decoded = try DHCPMessage(decoding: try message.encode())
            for (code, data) in values {
                #expect(decoded.data(for: code) == data)
                #expect(decoded.instances(of: code).allSatisfy { $0.count <= 255 })
            }
            #expect(try decoded.encode() == (try message.encode()))
        }
    }
}
