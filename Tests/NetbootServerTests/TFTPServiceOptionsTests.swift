import BootServices
import NetbootConfig
import NetbootWire
import NIOCore
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
        #expect(options.busyPoll == .microseconds(50))
        #expect(options.maxTransfersPerClient == 16)
        var section = NetbootConfiguration.TFTP()
        section.maxTransfersPerClient = 3
        #expect(TFTPServiceOptions(section).maxTransfersPerClient == 3)
        #expect(options.transferThreads == TFTPServiceOptions.defaultTransferThreads(cores: TFTPServiceOptions.usableCores))
        #expect(options.unmatchedVendorClasses.isEmpty)
        let apple = options.transfer.clientClass(address: nil, path: "Lab.nbi/i386/booter")
        #expect(apple?.name == "apple-firmware")
        #expect(options.transfer.limits(for: apple).maxBlockSize == 1460)
        #expect(try options.pathMapping.map("/private/tftpboot/NetBoot/NetBootSP0/Lab.nbi/i386/booter").get()
                == "Lab.nbi/i386/booter")
    }

    @Test func oneTransferThreadPerUsableCoreWithinBounds() {
        #expect(TFTPServiceOptions.defaultTransferThreads(cores: 0) == 1)
        #expect(TFTPServiceOptions.defaultTransferThreads(cores: 1) == 1)
        #expect(TFTPServiceOptions.defaultTransferThreads(cores: 2) == 2)
        #expect(TFTPServiceOptions.defaultTransferThreads(cores: 100) == 64)
        #expect((1...System.coreCount).contains(TFTPServiceOptions.usableCores))
        var section = NetbootConfiguration.TFTP()
        section.transferThreads = 3
        #expect(TFTPServiceOptions(section).transferThreads == 3)
    }

    @Test func networkAndPathRulesMapAndOtherVendorClassesAreReported() throws {
        var section = NetbootConfiguration.TFTP()
        let prefix = try #require(IPv4Subnet("10.9.0.0/16"))
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

@Suite struct TFTPBusyPollTests {
    private let budget = Duration.microseconds(50)

    @Test func pollsOnlyWithFewTransfersAndTimeToSave() {
        var poll = TFTPBusyPoll(budget: budget, maxTransfers: 1)
        #expect(poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: 1000) == budget)
        #expect(poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: -1) == budget)
        #expect(poll.pollBudget(transfers: 2, ownTransfers: 1, timeoutMilliseconds: 1000) == nil)  // CPUs busy
        #expect(poll.pollBudget(transfers: 1, ownTransfers: 0, timeoutMilliseconds: -1) == nil)  // another loop's
        #expect(poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: 0) == nil)  // a deadline is due
        var off = TFTPBusyPoll(budget: .zero, maxTransfers: 4)
        #expect(off.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: -1) == nil)
    }

    @Test func halfTheCoresAtLeastOne() {
        #expect(TFTPBusyPoll.maxTransfers(cores: 1) == 1)
        #expect(TFTPBusyPoll.maxTransfers(cores: 2) == 1)
        #expect(TFTPBusyPoll.maxTransfers(cores: 8) == 4)
        #expect(TFTPBusyPoll(budget: budget, maxTransfers: 0).maxTransfers == 1)
    }

    /// A client slower than the budget: one miss stops polling, and then only one sleep in
    /// `probeInterval` polls again — the CPU spent on a slow peer stays small.
    @Test func backsOffWhenPollsMissAndProbesNowAndThen() {
        var poll = TFTPBusyPoll(budget: budget, maxTransfers: 1)
        #expect(poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: -1) != nil)
        poll.polled(hit: false)
        var polls = 0
        for _ in 0..<(10 * TFTPBusyPoll.probeInterval) {
            if poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: -1) != nil {
                polls += 1
                poll.polled(hit: false)
            }
        }
        #expect(polls == 10)
        #expect(poll.score == 0)
    }

    /// Hits build a score that a single miss does not erase; a run of misses does.
    @Test func hitsBuildCreditThatMissesSpend() {
        var poll = TFTPBusyPoll(budget: budget, maxTransfers: 1)
        for _ in 0..<20 { poll.polled(hit: true) }
        #expect(poll.score == TFTPBusyPoll.maxScore)
        poll.polled(hit: false)
        #expect(poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: -1) == budget)
        poll.polled(hit: false)
        #expect(poll.score == 0)
        // sleeps without polling until the probe, which is the `probeInterval`-th ask
        var asks = 1
        while asks < 10_000, poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: -1) == nil { asks += 1 }
        #expect(asks == TFTPBusyPoll.probeInterval)
        // a probe that hits brings polling back
        poll.polled(hit: true)
        #expect(poll.pollBudget(transfers: 1, ownTransfers: 1, timeoutMilliseconds: -1) == budget)
    }
}
