import NetbootWire
import Testing
@testable import BootServices

@Suite struct TFTPNegotiationTests {
    let limits = TFTPOptionLimits(maxBlockSize: 1468, maxWindowSize: 64)

    @Test func acceptsEveryKnownOptionInRange() {
        let result = TFTPNegotiation.negotiate(
            [TFTPOption("blksize", "1428"), TFTPOption("tsize", "0"), TFTPOption("timeout", "2"),
             TFTPOption("windowsize", "8")], direction: .read(size: 5_000_000_000), limits: limits)
        #expect(result.blockSize == 1428)
        #expect(result.windowSize == 8)
        #expect(result.timeoutSeconds == 2)
        #expect(result.transferSize == 5_000_000_000)
        #expect(result.acknowledged == [TFTPOption("blksize", "1428"), TFTPOption("tsize", "5000000000"),
                                        TFTPOption("timeout", "2"), TFTPOption("windowsize", "8")])
    }

    @Test func clampsBlockSizeAndWindowSizeToTheLimits() {
        let result = TFTPNegotiation.negotiate([TFTPOption("BLKSIZE", "65464"), TFTPOption("WindowSize", "65535")],
                                               direction: .read(size: 1), limits: limits)
        #expect(result.blockSize == 1468)
        #expect(result.windowSize == 64)
        #expect(result.acknowledged == [TFTPOption("blksize", "1468"), TFTPOption("windowsize", "64")])
    }

    @Test(arguments: [
        ("blksize", "7"), ("blksize", "65465"), ("blksize", "0"), ("blksize", "abc"), ("blksize", "-512"),
        ("timeout", "0"), ("timeout", "256"), ("windowsize", "0"), ("windowsize", "65536"), ("tsize", "x"),
        ("rollover", "1"), ("utimeout", "1000"),
    ])
    func outOfRangeOrUnknownOptionsAreLeftOutOfTheOACK(_ name: String, _ value: String) {
        let result = TFTPNegotiation.negotiate([TFTPOption(name, value)], direction: .read(size: 10), limits: limits)
        #expect(result.acknowledged.isEmpty)
        #expect(result.blockSize == 512)
        #expect(result.windowSize == 1)
        #expect(result.timeoutSeconds == nil)
    }

    @Test func theFirstInstanceOfADuplicatedOptionWins() {
        let result = TFTPNegotiation.negotiate([TFTPOption("blksize", "1024"), TFTPOption("blksize", "512")],
                                               direction: .read(size: 10), limits: limits)
        #expect(result.acknowledged == [TFTPOption("blksize", "1024")])
    }

    @Test func anEmptyFileGetsNoTsizeBecauseCurlRejectsZero() {
        let result = TFTPNegotiation.negotiate([TFTPOption("tsize", "0"), TFTPOption("blksize", "1024")],
                                               direction: .read(size: 0), limits: limits)
        #expect(result.acknowledged == [TFTPOption("blksize", "1024")])
        #expect(result.transferSize == nil)
    }

    @Test func writeRequestsEchoTheAnnouncedSize() {
        let result = TFTPNegotiation.negotiate([TFTPOption("tsize", "1234")], direction: .write, limits: limits)
        #expect(result.acknowledged == [TFTPOption("tsize", "1234")])
    }

    @Test func clientClassesOverrideTheLimits() {
        let configuration = TFTPTransferConfiguration(
            maxBlockSize: 8192, maxWindowSize: 32,
            clientClasses: [
                .appleFirmware,
                TFTPClientClass(name: "old-pxe", rules: [.network(IPv4Address(10, 1, 0, 0), prefixLength: 16),
                                                         .pathPrefix("legacy/")], maxBlockSize: 1024, maxWindowSize: 1),
            ])
        let apple = configuration.clientClass(address: IPv4Address(10, 1, 2, 3),
                                              path: "NetBoot/NetBootSP0/Image.NBI/i386/booter")
        #expect(apple?.name == "apple-firmware")
        #expect(configuration.limits(for: apple) == TFTPOptionLimits(maxBlockSize: 1460, maxWindowSize: 32))
        let byAddress = configuration.clientClass(address: IPv4Address(10, 1, 200, 1), path: "pxelinux.0")
        #expect(byAddress?.name == "old-pxe")
        #expect(configuration.limits(for: byAddress) == TFTPOptionLimits(maxBlockSize: 1024, maxWindowSize: 1))
        #expect(configuration.clientClass(address: IPv4Address(10, 2, 0, 1), path: "Legacy/x")?.name == "old-pxe")
        let none = configuration.clientClass(address: IPv4Address(10, 2, 0, 1), path: "pxelinux.0")
        #expect(none == nil)
        #expect(configuration.limits(for: none) == TFTPOptionLimits(maxBlockSize: 8192, maxWindowSize: 32))
        let result = TFTPNegotiation.negotiate([TFTPOption("blksize", "1468")], direction: .read(size: 1),
                                               limits: configuration.limits(for: apple))
        #expect(result.blockSize == 1460)
    }
}

@Suite struct TFTPPathMappingTests {
    let mapping = TFTPPathMapping()

    @Test(arguments: [
        ("pxelinux.0", "pxelinux.0"),
        ("/pxelinux.0", "pxelinux.0"),
        ("/private/tftpboot/NetBoot/NetBootSP0/Image.nbi/i386/booter", "NetBoot/NetBootSP0/Image.nbi/i386/booter"),
        ("/tftpboot/pxe/ipxe.efi", "pxe/ipxe.efi"),
        ("boot\\x86\\wdsnbp.com", "boot/x86/wdsnbp.com"),
        ("./a//b/./c", "a/b/c"),
        ("/etc/passwd", "etc/passwd"),
        ("/private/tftpbootx/a", "private/tftpbootx/a"),
    ])
    func mapsIntoTheRoot(_ name: String, _ expected: String) throws {
        #expect(try mapping.map(name).get() == expected)
    }

    @Test(arguments: [
        ("../etc/passwd", TFTPErrorCode.accessViolation),
        ("a/../../etc/passwd", .accessViolation),
        ("/private/tftpboot/../../etc/shadow", .accessViolation),
        ("..\\..\\windows", .accessViolation),
        ("a\u{0}b", .accessViolation),
        ("a\u{1}b", .accessViolation),
        ("caf\u{FFFD}", .accessViolation),
        ("", .fileNotFound),
        ("/", .fileNotFound),
        ("/private/tftpboot", .fileNotFound),
        ("./.", .fileNotFound),
    ])
    func refusesEscapesAndOddNames(_ name: String, _ code: TFTPErrorCode) {
        switch mapping.map(name) {
        case .success(let path): Issue.record("\(name) mapped to \(path)")
        case .failure(let refusal): #expect(refusal.code == code)
        }
    }

    @Test func prefixesAreConfigurable() throws {
        let custom = TFTPPathMapping(prefixes: ["/srv/tftp"])
        #expect(try custom.map("/srv/tftp/a.bin").get() == "a.bin")
        #expect(try custom.map("/private/tftpboot/a.bin").get() == "private/tftpboot/a.bin")
    }
}
