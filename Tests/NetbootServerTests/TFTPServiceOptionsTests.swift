import BootServices
import NetbootConfig
import NetbootWire
import Testing
@testable import NetbootServer

@Suite struct TFTPServiceOptionsTests {
    @Test func theDefaultSectionGivesTheAppleClassAndThePrefixes() throws {
        let options = TFTPServiceOptions(NetbootConfiguration.TFTP())
        #expect(options.port == 69)
        #expect(options.root == "images")
        #expect(options.uploadDirectory == nil)
        #expect(options.transfer.maxBlockSize == 1468)
        #expect(options.transfer.maxWindowSize == 64)
        #expect(options.transfer.retransmitTimeout == .seconds(1))
        #expect(options.transfer.maxRetries == 5)
        #expect(options.unmatchedVendorClasses.isEmpty)
        let apple = options.transfer.clientClass(address: nil, path: "Lab.nbi/i386/booter")
        #expect(apple?.name == "apple-firmware")
        #expect(options.transfer.limits(for: apple).maxBlockSize == 1460)
        #expect(try options.pathMapping.map("/private/tftpboot/NetBoot/NetBootSP0/Lab.nbi/i386/booter").get()
                == "Lab.nbi/i386/booter")
    }

    @Test func networkAndPathRulesMapAndOtherVendorClassesAreReported() throws {
        var section = NetbootConfiguration.TFTP()
        let prefix = try #require(IPv4Prefix("10.9.0.0/16"))
        section.clientClasses = [
            .init(vendorClass: "PXEClient:Arch:00007", maxBlksize: 1024),
            .init(network: prefix, pathPrefix: "legacy/", maxBlksize: 512, maxWindowsize: 1),
        ]
        let options = TFTPServiceOptions(section)
        #expect(options.unmatchedVendorClasses == ["PXEClient:Arch:00007"])
        #expect(options.transfer.clientClasses.count == 1)
        let byAddress = options.transfer.clientClass(address: IPv4Address(10, 9, 1, 1), path: "x")
        #expect(options.transfer.limits(for: byAddress) == TFTPOptionLimits(maxBlockSize: 512, maxWindowSize: 1))
        #expect(options.transfer.clientClass(address: IPv4Address(10, 8, 1, 1), path: "Legacy/x") == byAddress)
    }
}
