import Testing
@testable import NetbootWire

@Suite struct ByteReaderTests {
    @Test func readsBigEndianIntegers() throws {
        var reader = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07])
        #expect(try reader.readUInt8() == 0x01)
        #expect(try reader.readUInt16() == 0x0203)
        #expect(try reader.readUInt32() == 0x0405_0607)
        #expect(reader.isAtEnd)
    }

    @Test func everyTruncatedPrefixThrowsInsteadOfTrapping() {
        let full: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7]
        for length in 0..<8 {
            var reader = ByteReader(Array(full.prefix(length)))
            #expect(throws: WireError.self) { try reader.readUInt64() }
        }
    }

    @Test func rangeLimitStopsReadsAtTheContainer() throws {
        var reader = ByteReader([9, 9, 1, 2, 9], range: 2..<4)
        #expect(try reader.readUInt16() == 0x0102)
        #expect(throws: WireError.self) { try reader.readUInt8() }
    }

    @Test func nulTerminatedStrings() throws {
        var reader = ByteReader(Array("a.bin\0octet\0x".utf8))
        #expect(try reader.readNULTerminated() == Array("a.bin".utf8))
        #expect(try reader.readNULTerminated() == Array("octet".utf8))
        #expect(throws: WireError.self) { try reader.readNULTerminated() }
    }
}
