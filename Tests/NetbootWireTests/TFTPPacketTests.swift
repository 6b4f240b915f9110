import Testing
@testable import NetbootWire

@Suite struct TFTPPacketTests {
    /// An RRQ as atftp sends it with every option (bytes written by hand from RFC 2347 §2).
    static let atftpRRQ: [UInt8] = Array("\u{0}\u{1}pxelinux.0\u{0}octet\u{0}blksize\u{0}1428\u{0}tsize\u{0}0\u{0}timeout\u{0}2\u{0}windowsize\u{0}8\u{0}".utf8)

    @Test func decodesAnRRQWithOptions() throws {
        let packet = try TFTPPacket(decoding: Self.atftpRRQ)
        guard case .readRequest(let request) = packet else {
            Issue.record("not an RRQ: \(packet)")
            return
        }
        #expect(request.filename == "pxelinux.0")
        #expect(request.mode == .octet)
        #expect(request.options == [TFTPOption("blksize", "1428"), TFTPOption("tsize", "0"),
                                    TFTPOption("timeout", "2"), TFTPOption("windowsize", "8")])
        #expect(packet.encoded() == Self.atftpRRQ)
    }

    @Test func modeAndOptionNamesAreCaseInsensitive() throws {
        let bytes: [UInt8] = [0, 2] + Array("up.bin\u{0}NetASCII\u{0}BLKSIZE\u{0}512\u{0}".utf8)
        guard case .writeRequest(let request) = try TFTPPacket(decoding: bytes) else {
            Issue.record("not a WRQ")
            return
        }
        #expect(request.mode == .netascii)
        #expect(TFTPMode(rawValue: "OCTET") == .octet)
        #expect(request.options.value(of: "blksize") == "512")
        #expect(request.options.value(of: "BlkSize") == "512")
        #expect(request.options.first?.key == "blksize")
    }

    @Test(arguments: [
        TFTPPacket.readRequest(TFTPRequest(filename: "a/b", mode: .netascii)),
        .writeRequest(TFTPRequest(filename: "x", options: [TFTPOption("tsize", "123")])),
        .data(block: 0, payload: []),
        .data(block: 65535, payload: Array(repeating: 0xA5, count: 1468)),
        .acknowledgement(block: 0),
        .acknowledgement(block: 4242),
        .error(code: .fileNotFound, message: "File not found"),
        .error(code: TFTPErrorCode(99), message: ""),
        .optionAcknowledgement([TFTPOption("blksize", "1468"), TFTPOption("tsize", "5000000000")]),
        .optionAcknowledgement([]),
    ])
    func roundTrips(_ packet: TFTPPacket) throws {
        #expect(try TFTPPacket(decoding: packet.encoded()) == packet)
    }

    @Test func knownAnswerEncodings() {
        #expect(TFTPPacket.acknowledgement(block: 0x0102).encoded() == [0, 4, 1, 2])
        #expect(TFTPPacket.data(block: 7, payload: [0xAA]).encoded() == [0, 3, 0, 7, 0xAA])
        #expect(TFTPPacket.error(code: .accessViolation, message: "no").encoded() == [0, 5, 0, 2, 0x6E, 0x6F, 0])
        #expect(TFTPPacket.dataHeaderWord(block: 0xBEEF) == 0x0003_BEEF)
    }

    /// Every prefix of a valid packet either throws a `WireError` or decodes to a shorter valid
    /// packet that encodes back to exactly that prefix (an RRQ cut between two options is still an
    /// RRQ; a DATA cut anywhere after its header is a shorter DATA). Never a trap.
    @Test(arguments: [
        atftpRRQ,
        TFTPPacket.error(code: .diskFull, message: "full").encoded(),
        TFTPPacket.acknowledgement(block: 9).encoded(),
        TFTPPacket.data(block: 3, payload: [1, 2, 3]).encoded(),
        TFTPPacket.optionAcknowledgement([TFTPOption("windowsize", "16")]).encoded(),
    ])
    func everyTruncatedPrefixThrowsOrIsItselfValid(_ full: [UInt8]) {
        for length in 0..<full.count {
            let prefix = Array(full.prefix(length))
            do {
                let packet = try TFTPPacket(decoding: prefix)
                #expect(packet.encoded() == prefix, "prefix \(length) decoded to \(packet)")
            } catch {
                #expect(length < full.count)
            }
        }
        #expect(throws: WireError.self) { try TFTPPacket(decoding: Array(full.prefix(1))) }
    }

    @Test func truncatedFixedFieldsAreTypedErrors() {
        for bytes: [UInt8] in [[], [0], [0, 4], [0, 4, 1], [0, 3, 0], [0, 5, 0]] {
            #expect(throws: WireError.self) { try TFTPPacket(decoding: bytes) }
        }
        do {
            _ = try TFTPPacket(decoding: [0, 4, 1])
        } catch {
            #expect(error.kind == .truncated)
        }
    }

    @Test func stringsWithoutNULAreBadStrings() {
        let cases: [[UInt8]] = [
            [0, 1] + Array("file".utf8),
            [0, 1] + Array("file\u{0}octet".utf8),
            [0, 1] + Array("file\u{0}octet\u{0}blksize".utf8),
            [0, 1] + Array("file\u{0}octet\u{0}blksize\u{0}512".utf8),
            [0, 5, 0, 1] + Array("not found".utf8),
            [0, 6] + Array("tsize\u{0}12".utf8),
        ]
        for bytes in cases {
            do {
                _ = try TFTPPacket(decoding: bytes)
                Issue.record("decoded \(bytes)")
            } catch {
                #expect(error.kind == .badString)
            }
        }
    }

    @Test func unknownOpcodesAreRejected() {
        for opcode: UInt8 in [0, 7, 8, 255] {
            do {
                _ = try TFTPPacket(decoding: [0, opcode, 0, 1])
                Issue.record("decoded opcode \(opcode)")
            } catch {
                #expect(error.kind == .unknownType)
            }
        }
        #expect(throws: WireError.self) { try TFTPPacket(decoding: [1, 1, 0, 0]) }
    }

    @Test func ackWithTrailingBytesAndEmptyOptionNamesAreRejected() {
        #expect(throws: WireError.self) { try TFTPPacket(decoding: [0, 4, 0, 1, 0]) }
        #expect(throws: WireError.self) { try TFTPPacket(decoding: [0, 1] + Array("f\u{0}octet\u{0}\u{0}1\u{0}".utf8)) }
    }

    @Test func trailingNULPaddingAfterOptionsIsTolerated() throws {
        let bytes: [UInt8] = [0, 1] + Array("f\u{0}octet\u{0}tsize\u{0}0\u{0}".utf8) + [0, 0, 0]
        #expect(try TFTPPacket(decoding: bytes) == .readRequest(TFTPRequest(filename: "f", options: [TFTPOption("tsize", "0")])))
    }

    @Test func decimalOptionValuesAreStrict() {
        #expect(TFTPOption.decimalValue("1468") == 1468)
        #expect(TFTPOption.decimalValue("18446744073709551615") == UInt64.max)
        #expect(TFTPOption.decimalValue("18446744073709551616") == nil)
        for bad in ["", "-1", "+5", " 5", "5 ", "0x10", "12a", "1.5"] {
            #expect(TFTPOption.decimalValue(bad) == nil, "\(bad)")
        }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let count = Int.random(in: 0..<40, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if count >= 2, Bool.random(using: &generator) { bytes[0] = 0; bytes[1] = UInt8.random(in: 1...6) }
            _ = try? TFTPPacket(decoding: bytes)
        }
    }
}

@Suite struct TFTPBlockNumberingTests {
    @Test func wrapsToZeroByDefault() {
        let numbering = TFTPBlockNumbering()
        #expect(numbering.wire(1) == 1)
        #expect(numbering.wire(65535) == 65535)
        #expect(numbering.wire(65536) == 0)
        #expect(numbering.wire(65537) == 1)
        #expect(numbering.wire(0x1_0000_0005) == 5)
    }

    @Test func wrapsToOneWhenAsked() {
        let numbering = TFTPBlockNumbering(rollover: .toOne)
        #expect(numbering.wire(0) == 0)
        #expect(numbering.wire(65535) == 65535)
        #expect(numbering.wire(65536) == 1)
        #expect(numbering.wire(131070) == 65535)
        #expect(numbering.wire(131071) == 1)
    }

    @Test(arguments: [TFTPBlockNumbering.Rollover.toZero, .toOne])
    func expandInvertsWireNearTheLatestCounter(_ rollover: TFTPBlockNumbering.Rollover) {
        let numbering = TFTPBlockNumbering(rollover: rollover)
        for latest: UInt64 in [0, 1, 5, 65534, 65535, 65536, 65537, 70000, 200_000, 1 << 40] {
            for back: UInt64 in [0, 1, 7, 63, 1000, 65000] where back <= latest {
                let counter = latest - back
                if rollover == .toOne, counter == 0, latest > 0 { continue }
                #expect(numbering.expand(numbering.wire(counter), notAfter: latest) == counter,
                        "latest \(latest) back \(back)")
            }
        }
        #expect(numbering.expand(9, notAfter: 3) == nil)
    }
}

@Suite struct NetasciiTests {
    @Test func encodesLineEndsAndBareCR() {
        #expect(Netascii.encode(Array("a\nb\rc".utf8)) == Array("a\r\nb\r\u{0}c".utf8))
        #expect(Netascii.encodedLength(Array("a\nb\rc".utf8)) == 7)
    }

    @Test func decodesAcrossChunkBoundaries() {
        var decoder = Netascii.Decoder()
        var out: [UInt8] = []
        decoder.decode(Array("x\r".utf8), into: &out)
        decoder.decode(Array("\ny\r".utf8), into: &out)
        decoder.decode([0, 0x7A, 0x0D], into: &out)
        decoder.finish(into: &out)
        #expect(out == Array("x\ny\rz\r".utf8))
    }

    @Test func roundTripsArbitraryBytes() {
        for _ in 0..<200 {
            let bytes: [UInt8] = (0..<Int.random(in: 0..<64)).map { _ in ([0x0A, 0x0D, 0x00, 0x41] as [UInt8]).randomElement() ?? 0 }
            #expect(Netascii.decode(Netascii.encode(bytes)) == bytes)
        }
    }
}
