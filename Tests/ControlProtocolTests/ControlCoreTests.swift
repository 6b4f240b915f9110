import BootImages
import ControlProtocol
import Foundation
import NetbootWire
import Testing

@Suite struct ControlCoreTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let mac = MACAddress(rawValue: 0x0200_5e10_0002)
    static let other = MACAddress(rawValue: 0x0200_5e10_0003)

    func lease(_ last: UInt8, _ mac: MACAddress, _ state: String) -> LeaseEntry {
        LeaseEntry(address: IPv4Address(198, 51, 100, last), mac: mac, clientID: "01:\(mac)", hostname: nil,
                   state: state, expires: "2027-01-15T08:00:00Z")
    }

    func snapshot(mode: String = "authoritative", catalog: ImageCatalog? = ImageCatalog(directory: "images"),
                  recorder: Bool = true) -> ControlSnapshot {
        ControlSnapshot(
            version: "0.1.0", pid: 4242, configuration: "etc/netboot.yaml", startedAt: Self.start,
            now: Self.start.addingTimeInterval(3725.9),
            services: [ServiceStatus(name: "tftp", state: .running, addresses: ["udp 0.0.0.0:69"])],
            counts: ApplianceCounts(leases: 3, leasesActive: 1, dhcpExchanges: 10, dhcpDrops: 2),
            dhcpMode: mode,
            leases: [lease(20, Self.mac, "bound"), lease(21, Self.mac, "released"), lease(22, Self.mac, "declined"),
                     lease(30, Self.other, "expired")],
            catalog: catalog, flightRecorderEnabled: recorder)
    }

    func step(_ command: ControlRequest.Command, _ snapshot: ControlSnapshot) -> ControlStep {
        ControlCore.handle(ControlRequest(id: .number(9), command: command), snapshot: snapshot)
    }

    func errorCode(_ step: ControlStep) -> ControlError.Code? {
        if case .reply(let reply) = step { return reply.error?.code }
        return nil
    }

    @Test func statusCarriesUptimeAndEchoesTheID() throws {
        guard case .reply(let reply) = step(.status, snapshot()), case .status(let report) = reply.outcome else {
            Issue.record("no status reply"); return
        }
        #expect(reply.id == .number(9))
        #expect(report.uptimeSeconds == 3725)
        #expect(report.pid == 4242)
        #expect(report.startedAt == "2027-01-15T08:00:00Z")
        #expect(report.services.map(\.name) == ["tftp"])
        #expect(report.counts.dhcpDrops == 2)
    }

    @Test func aClockBeforeTheStartIsUptimeZero() {
        var early = snapshot()
        early.now = Self.start.addingTimeInterval(-50)
        guard case .reply(let reply) = step(.status, early), case .status(let report) = reply.outcome else {
            Issue.record("no status reply"); return
        }
        #expect(report.uptimeSeconds == 0)
    }

    @Test func releaseByMACFreesEveryHeldRecordOfThatClient() {
        #expect(step(.leasesRelease(.mac(Self.mac)), snapshot())
            == .perform(.releaseLeases([IPv4Address(198, 51, 100, 20), IPv4Address(198, 51, 100, 22)])))
    }

    @Test func releaseByAddress() {
        #expect(step(.leasesRelease(.address(IPv4Address(198, 51, 100, 30))), snapshot())
            == .perform(.releaseLeases([IPv4Address(198, 51, 100, 30)])))
    }

    @Test func releasingWhatIsNotHeldIsNotFound() {
        #expect(errorCode(step(.leasesRelease(.address(IPv4Address(198, 51, 100, 21))), snapshot())) == .notFound)
        #expect(errorCode(step(.leasesRelease(.address(IPv4Address(198, 51, 100, 99))), snapshot())) == .notFound)
        #expect(errorCode(step(.leasesRelease(.mac(MACAddress(rawValue: 0x0200_5e10_00ff))), snapshot())) == .notFound)
    }

    @Test func leasesNeedAuthoritativeMode() {
        #expect(errorCode(step(.leasesRelease(.mac(Self.mac)), snapshot(mode: "proxy"))) == .unavailable)
        #expect(errorCode(step(.leasesRelease(.mac(Self.mac)), snapshot(mode: "off"))) == .unavailable)
        guard case .reply(let reply) = step(.leasesList, snapshot(mode: "proxy")),
              case .leases(let listing) = reply.outcome else { Issue.record("no listing"); return }
        #expect(listing.mode == "proxy")
    }

    @Test func imagesNeedAServedCatalog() {
        #expect(step(.imagesRescan, snapshot()) == .perform(.rescanImages))
        #expect(errorCode(step(.imagesRescan, snapshot(catalog: nil))) == .unavailable)
        #expect(errorCode(step(.imagesList, snapshot(catalog: nil))) == .unavailable)
        guard case .reply(let reply) = step(.imagesList, snapshot()), case .images(let catalog) = reply.outcome else {
            Issue.record("no catalog"); return
        }
        #expect(catalog.directory == "images")
    }

    @Test func dumpNeedsTheFlightRecorder() {
        #expect(step(.captureDump, snapshot()) == .perform(.dumpFlightRecorder))
        #expect(errorCode(step(.captureDump, snapshot(recorder: false))) == .unavailable)
    }

    @Test func reloadIsAnAction() {
        #expect(step(.configReload, snapshot()) == .perform(.reloadConfiguration))
    }

    @Test func outcomesBecomeRepliesWithTheRequestsID() {
        let request = ControlRequest(id: .text("r"), command: .captureDump)
        let dump = FlightRecorderDump(path: "var/captures/flight-1.pcap", absolutePath: "/x/var/captures/flight-1.pcap",
                                      packets: 3, recorded: 9)
        #expect(ControlCore.reply(to: request, after: .dumped(dump)) == ControlReply(id: .text("r"), outcome: .dumped(dump)))
        let failure = ControlError(.failed, "disk full")
        #expect(ControlCore.reply(to: request, after: .failed(failure)) == .error(.text("r"), failure))
    }
}
