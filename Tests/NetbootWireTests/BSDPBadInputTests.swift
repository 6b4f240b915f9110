import Testing
@testable import NetbootWire
import TestSupport

/// Malformed option 43: every failure is a typed WireError, never a trap or an out-of-bounds read.
@Suite struct BSDPBadInputTests {
    static let wellFormed: [[UInt8]] = [
        BSDPVectorTests.v1,
        BSDPVectorTests.v3Corrected,
        hexBytes("01:01:01:03:04:0A:01:02:03:04:02:FF:FF:07:04:81:00:04:59:08:04:81:00:04:59:09:10:81:00:04:59:0b:47:53:55:20:4e:65:74:42:6f:6f:74"),
        hexBytes("01 01 01 02 02 01 01 0A 00 05 02 03 E9 0C 02 20 00 0B 04 03 00 01 00"),
    ]

    @Test func everyTruncatedPrefixFailsUnlessItEndsOnASubOption() {
        for vector in Self.wellFormed {
            let boundaries = subOptionBoundaries(vector)
            for length in 0..<vector.count {
                let prefix = Array(vector.prefix(length))
                let error = wireError { () throws(WireError) in try BSDPOptions.decode(instances: [prefix]) }
                if boundaries.contains(length) {
                    #expect(error == nil, "prefix \(length) ends on a sub-option")
                } else {
                    #expect(error?.kind == .truncated || error?.kind == .overrun, "prefix \(length): \(String(describing: error))")
                }
            }
        }
    }

    @Test func zeroLengthSubOptions() throws {
        for code: UInt8 in [1, 2, 3, 4, 5, 7, 8, 11, 12] {
            let error = wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[code, 0]]) }
            #expect(error?.kind == .badLength, "sub-option \(code)")
        }
        // Variable-length ones may be empty; NetBoot 1.0 firmware must be.
        #expect(try BSDPOptions.decode(instances: [[10, 0]]).options == [.netBoot10Firmware])
        #expect(try BSDPOptions.decode(instances: [[9, 0]]).options == [.bootImageList([])])
        #expect(try BSDPOptions.decode(instances: [[130, 0]]).options == [.machineName("")])
        #expect(try BSDPOptions.decode(instances: [[77, 0]]).options == [.unknown(code: 77, data: [])])
        #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[10, 1, 0]]) }?.kind == .badLength)
    }

    @Test func wrongFixedLengths() {
        let cases: [[UInt8]] = [
            [1, 2, 1, 1], [2, 1, 1], [2, 3, 1, 1, 1], [3, 3, 1, 1, 1], [3, 5, 1, 1, 1, 1, 1],
            [4, 1, 0], [5, 4, 0, 0, 0, 0], [7, 3, 1, 0, 0], [8, 5, 1, 0, 0, 1, 0], [11, 1, 3], [11, 3, 3, 0, 1],
            [12, 4, 0, 0, 32, 0],
        ]
        for bytes in cases {
            let error = wireError { () throws(WireError) in try BSDPOptions.decode(instances: [bytes]) }
            #expect(error?.kind == .badLength, "\(bytes)")
        }
    }

    @Test func subOptionsOf255Bytes() throws {
        // Inside a real option 43 (≤ 255 bytes) a 255-byte sub-option can never fit.
        for code: UInt8 in [6, 9, 77, 128, 130] {
            let instance = [code, 255] + Array(repeating: UInt8(ascii: "a"), count: 253)
            #expect(instance.count == 255)
            #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [instance]) }?.kind == .overrun)
        }
        // Given a longer buffer, fixed-length codes still refuse 255 and strings accept it.
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 255)
        #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[8, 255] + long]) }?.kind == .badLength)
        #expect(try BSDPOptions.decode(instances: [[130, 255] + long]).machineName == String(repeating: "a", count: 255))
        // The largest sub-option a real instance holds: 253 bytes of payload.
        #expect(try BSDPOptions.decode(instances: [[130, 253] + long.prefix(253)]).machineName?.utf8.count == 253)
    }

    @Test func descriptorsOverrunningTheirSubOption() {
        let cases: [[UInt8]] = [
            hexBytes("09 03 81 00 00"),                       // id cut short
            hexBytes("09 04 81 00 00 01"),                    // no name length
            hexBytes("09 05 81 00 00 01 01"),                 // name length 1, no name
            hexBytes("09 0c 81 00 00 01 08 6e 65 74 62 6f 6f 74"),  // says 8, has 7
            hexBytes("09 0b 81 00 00 01 07 6e 65 74 62 6f 6f 74"),  // sub-option cuts the name
            hexBytes("09 07 81 00 00 01 00 81 00"),           // second descriptor cut short
        ]
        for bytes in cases {
            #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [bytes]) }?.kind == .overrun, "\(bytes)")
        }
    }

    @Test func subOptionMayNotContinueIntoTheNextInstance() {
        let list = hexBytes("01:01:01:09:0c:81:00:00:01:07:6e:65:74:62:6f:6f:74")
        let split = [Array(list.prefix(9)), Array(list.dropFirst(9))]
        let error = wireError { () throws(WireError) in try BSDPOptions.decode(instances: split) }
        #expect(error?.kind == .overrun)
        #expect(error?.context.contains("instance 1") == true)
    }

    @Test func namesThatAreNotUTF8AreRejected() {
        for name in [[0xFF], [0xC3], [0xE6, 0x97], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]] {
            let descriptor = hexBytes("81 00 00 01") + [UInt8(name.count)] + name
            let error = wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[9, UInt8(descriptor.count)] + descriptor]) }
            #expect(error?.kind == .badString)
            #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[130, UInt8(name.count)] + name]) }?.kind == .badString)
        }
    }

    @Test func unknownMessageTypesAndMissingFields() {
        for type: UInt8 in [0, 4, 255] {
            #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[1, 1, type]]) }?.kind == .badValue)
        }
        // An INFORM needs LIST or SELECT and a version; an ACK needs a message type.
        #expect(wireError { () throws(WireError) in try BSDPMessage.decode(carrier: .inform, instances: [hexBytes("01 01 03 02 02 01 01")]) }?.kind == .badValue)
        #expect(wireError { () throws(WireError) in try BSDPMessage.decode(carrier: .inform, instances: [hexBytes("01 01 01")]) }?.kind == .badValue)
        #expect(wireError { () throws(WireError) in try BSDPMessage.decode(carrier: .inform, instances: [hexBytes("02 02 01 01")]) }?.kind == .badValue)
        #expect(wireError { () throws(WireError) in try BSDPMessage.decode(carrier: .discover, instances: []) }?.kind == .badValue)
        #expect(wireError { () throws(WireError) in try BSDPMessage.decode(carrier: .ack, instances: [hexBytes("08 04 81 00 00 01")]) }?.kind == .badValue)
    }

    @Test func codeWithoutLengthByte() {
        #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[1]]) }?.kind == .truncated)
        #expect(wireError { () throws(WireError) in try BSDPOptions.decode(instances: [[1, 1, 1, 7]]) }?.kind == .truncated)
    }

    @Test func padAndEndAsWiresharkReadsThem() throws {
        let instance = hexBytes("00 01 01 01 00 00 04 02 80 00 FF 99 99 99")
        #expect(try BSDPOptions.decode(instances: [instance]).options == [.messageType(.list), .serverPriority(0x8000)])
        // End closes only its own instance.
        let second = hexBytes("07 04 81 00 00 01")
        #expect(try BSDPOptions.decode(instances: [instance, second]).defaultBootImage == BootImageID(rawValue: 0x8100_0001))
        #expect(try BSDPOptions.decode(instances: [[], [0, 0], [255]]).options.isEmpty)
    }

    @Test func repeatedSubOptions() throws {
        let a = hexBytes("01 01 01 09 06 81 00 00 01 01 61 0B 02 01 00")
        let b = hexBytes("04 02 00 01 09 06 81 00 00 02 01 62 04 02 00 02 0B 02 03 00")
        let options = try BSDPOptions.decode(instances: [a, b])
        #expect(options.bootImageList.map(\.name) == ["a", "b"])
        #expect(options.attributesFilterList == [0x0100, 0x0300])
        // Other repeats are kept in order; the first wins, as with Apple's dhcpol_find.
        #expect(options.serverPriority == 1)
        #expect(options.options.filter { $0.code == 4 } == [.serverPriority(1), .serverPriority(2)])
        guard case .ackList(let reply) = try BSDPMessage.decode(carrier: .ack, options: options) else {
            Issue.record("not an ACK[LIST]")
            return
        }
        #expect(reply.serverPriority == 1 && reply.additional == [.attributesFilterList([0x0100, 0x0300]), .serverPriority(2)])
    }

    @Test func randomBytesOnlyEverThrowWireError() {
        var generator = SplitMix64(seed: 0xB5D9)
        var decoded = 0, rejected = 0
        for round in 0..<20_000 {
            let instanceCount = Int.random(in: 0...3, using: &generator)
            var instances: [[UInt8]] = []
            for _ in 0..<instanceCount {
                let length = Int.random(in: 0...40, using: &generator)
                // Bias towards known codes and small lengths so deep paths are reached.
                instances.append((0..<length).map { index in
                    let roll = UInt8.random(in: 0...255, using: &generator)
                    if index % 2 == 0, roll < 160 { return [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 128, 130][Int(roll) % 13] }
                    return roll < 100 ? roll % 8 : roll
                })
            }
            let carrier: BSDPCarrier = [.discover, .offer, .request, .ack, .inform][round % 5]
            if wireError({ () throws(WireError) in try BSDPMessage.decode(carrier: carrier, instances: instances) }) == nil {
                decoded += 1
            } else {
                rejected += 1
            }
        }
        #expect(decoded > 100 && rejected > 100)
    }
}
