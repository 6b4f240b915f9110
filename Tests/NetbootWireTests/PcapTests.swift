import Testing
@testable import NetbootWire

@Suite struct PcapTests {
    @Test func writeThenReadRoundTrips() throws {
        for nanos in [false, true] {
            let file = PcapFile(nanosecondResolution: nanos, records: [
                PcapRecord(seconds: 1_700_000_000, fraction: 123, data: [1, 2, 3]),
                PcapRecord(seconds: 1_700_000_001, fraction: 999, data: Array(repeating: 0xEE, count: 70), originalLength: 1500),
            ])
            let bytes = file.encoded()
            #expect(bytes.count == 24 + 16 + 3 + 16 + 70)
            #expect(Array(bytes.prefix(4)) == (nanos ? [0x4D, 0x3C, 0xB2, 0xA1] : [0xD4, 0xC3, 0xB2, 0xA1]))
            #expect(try PcapFile(decoding: bytes) == file)
        }
    }

    @Test func readsBigEndianFiles() throws {
        var bytes: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 1]
        bytes += [0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 2, 0xAB, 0xCD]
        let file = try PcapFile(decoding: bytes)
        #expect(file.linkType == 1 && file.snapLength == 65535 && !file.nanosecondResolution)
        #expect(file.records == [PcapRecord(seconds: 10, fraction: 20, data: [0xAB, 0xCD])])
        bytes[3] = 0x4D
        bytes[2] = 0x3C
        #expect(try PcapFile(decoding: bytes).nanosecondResolution)
    }

    @Test func badFilesAreTypedErrors() throws {
        let good = PcapFile(records: [PcapRecord(data: [1, 2, 3, 4])]).encoded()
        #expect(throws: WireError.self) { try PcapFile(decoding: [0x0A, 0x0D, 0x0D, 0x0A] + Array(good.dropFirst(4))) } // pcapng
        for length in 0..<good.count where length != 24 {
            #expect(throws: WireError.self) { try PcapFile(decoding: Array(good.prefix(length))) }
        }
        #expect(try PcapFile(decoding: Array(good.prefix(24))).records.isEmpty)
        var overrun = good
        overrun[24 + 8] = 0xFF // captured length 255, 4 bytes present
        #expect(throws: WireError.self) { try PcapFile(decoding: overrun) }
    }
}
