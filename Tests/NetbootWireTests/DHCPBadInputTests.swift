import Testing
@testable import NetbootWire
import TestSupport

/// Every malformed input is a typed ``WireError``; nothing traps, nothing reads past the buffer.
@Suite struct DHCPBadInputTests {
    static func expectKind(_ kind: WireError.Kind, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try DHCPMessage(decoding: bytes)
            Issue.record("decoded, expected \(kind)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        }
    }

    static func withOptions(_ options: [UInt8]) -> [UInt8] { DHCPMessageTests.discoverBytes(options: options) }

    @Test func truncatedFixedPart() {
        Self.expectKind(.truncated, [])
        Self.expectKind(.truncated, Array(Self.withOptions([255]).prefix(239)))
        Self.expectKind(.truncated, Array(Self.withOptions([255]).prefix(100)))
    }

    @Test func wrongOpAndCookie() {
        var bytes = Self.withOptions([255])
        bytes[0] = 3
        Self.expectKind(.badValue, bytes)
        bytes = Self.withOptions([255])
        bytes[238] = 0
        Self.expectKind(.badValue, bytes)
    }

    @Test func hlenAbove16() {
        var bytes = Self.withOptions([255])
        bytes[2] = 17
        Self.expectKind(.badValue, bytes)
        bytes[2] = 16
        #expect(throws: Never.self) { try DHCPMessage(decoding: bytes) }
    }

    @Test func optionLengthPastTheEnd() {
        Self.expectKind(.overrun, Self.withOptions([53, 1, 1, 12, 10, 65, 66]))
        Self.expectKind(.overrun, Self.withOptions([53, 2, 1]))
    }

    @Test func optionCodeWithoutLength() {
        Self.expectKind(.truncated, Self.withOptions([53, 1, 1, 12]))
    }

    @Test func padAndEndHandling() throws {
        // Pads anywhere, end stops decoding, bytes after end are ignored.
        let message = try DHCPMessage(decoding: Self.withOptions([0, 0, 53, 1, 1, 0, 255, 12, 200, 1]))
        #expect(message.options == [DHCPOption(.messageType, [1])])
        // Missing end: the buffer end ends the options (many firmwares omit it).
        #expect(try DHCPMessage(decoding: Self.withOptions([53, 1, 1])).messageType == .discover)
        // No options at all.
        #expect(try DHCPMessage(decoding: Self.withOptions([])).options.isEmpty)
        // Zero-length option is an entry of its own.
        #expect(try DHCPMessage(decoding: Self.withOptions([80, 0, 255])).options == [DHCPOption(DHCPOptionCode(80), [])])
    }

    @Test func overloadPointingAtGarbage() {
        // value not 1/2/3
        Self.expectKind(.badValue, Self.withOptions([52, 1, 4, 255]))
        Self.expectKind(.badValue, Self.withOptions([52, 1, 0, 255]))
        // wrong length
        Self.expectKind(.badLength, Self.withOptions([52, 2, 1, 1, 255]))
        Self.expectKind(.badLength, Self.withOptions([52, 0, 255]))
        // file area malformed: an option running past the 128-byte field
        var bytes = Self.withOptions([52, 1, 1, 255])
        bytes[108] = 12
        bytes[109] = 200
        Self.expectKind(.overrun, bytes)
        // sname area: code at the last byte with no length
        bytes = Self.withOptions([52, 1, 2, 255])
        for i in 44..<108 { bytes[i] = 0 }
        bytes[107] = 12
        Self.expectKind(.truncated, bytes)
        // option 52 nested inside the overloaded area
        bytes = Self.withOptions([52, 1, 1, 255])
        bytes[108] = 52
        bytes[109] = 1
        bytes[110] = 2
        bytes[111] = 255
        Self.expectKind(.badValue, bytes)
    }

    @Test func everyTruncatedPrefixReturnsOrThrows() throws {
        for message in try DHCPRoundTripTests.sampleMessages() {
            let bytes = try message.encode()
            for length in 0..<bytes.count {
                do {
                    _ = try DHCPMessage(decoding: Array(bytes.prefix(length)))
                } catch {
                    // A typed WireError is the only way to fail (typed throws guarantees the type).
                    #expect(!error.context.isEmpty)
                }
            }
        }
    }

    @Test func seededRandomMutationsReturnOrThrow() throws {
        var rng = SplitMix64(seed: 0x5EED_D11C)
        var decodedCount = 0, failedCount = 0
        for message in try DHCPRoundTripTests.sampleMessages() {
            let original = try message.encode()
            for _ in 0..<2_000 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[index] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))) }
                do {
                    let decoded = try DHCPMessage(decoding: bytes)
                    decodedCount += 1
                    // Whatever decodes can be read through every typed accessor without trapping.
                    _ = decoded.messageType
                    _ = try? decoded.value(.relayAgentInformation)
                    _ = try? decoded.value(.clientMachineIdentifier)
                    _ = try? decoded.value(.routers)
                    _ = try? decoded.encode()
                } catch {
                    failedCount += 1
                }
            }
        }
        #expect(decodedCount > 0 && failedCount > 0)
    }
}
