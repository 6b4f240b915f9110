import BootImages
import ControlProtocol
import Foundation
import NetbootWire
import Testing

@Suite struct ControlReplyTests {
    @Test func errorRepliesHaveTheDocumentedShape() throws {
        let line = ControlReply.error(.number(3), ControlError(.unknownCommand, "unknown command 'x'")).encoded()
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(String(decoding: line, as: UTF8.self)
            == #"{"error":{"code":"unknown-command","message":"unknown command 'x'"},"id":3,"ok":false,"version":1}"# + "\n")
    }

    @Test func everyResultRoundTrips() throws {
        let entry = LeaseEntry(address: IPv4Address(10, 0, 0, 5), mac: MACAddress(rawValue: 0x0200_5e10_0002),
                               clientID: "01:02:00:5e:10:00:02", hostname: "lab-1", state: "bound", expires: "2027-01-15T08:00:00Z")
        let cases: [(ControlCommand, ControlReply.Outcome)] = [
            (.status, .status(StatusReport(version: "0.1.0", pid: 7, configuration: "etc/netboot.yaml",
                                           startedAt: "2027-01-15T08:00:00Z", uptimeSeconds: 5,
                                           services: [ServiceStatus(name: "dhcp", state: .failed, addresses: [], detail: "boom")],
                                           counts: ApplianceCounts(leases: nil, dhcpExchanges: 4)))),
            (.imagesList, .images(ImageCatalog(directory: "images", notes: ["n"]))),
            (.imagesRescan, .rescanned(ImagesRescan(directory: "images", images: 2, skipped: 1, changes: ["New image distributed: A"]))),
            (.leasesList, .leases(LeaseListing(mode: "authoritative", leases: [entry]))),
            (.leasesRelease, .released(LeaseRelease(released: [entry]))),
            (.captureDump, .dumped(FlightRecorderDump(path: "p", absolutePath: "/p", packets: 1, recorded: 2))),
            (.configReload, .reloaded(ConfigurationReload(file: "f", changed: ["tftp"], applied: [], restartNeeded: ["tftp"], warnings: []))),
            (.configReload, .error(ControlError(.invalidConfiguration, "1 error", details: ["f:1:1: error: x"]))),
        ]
        for (command, outcome) in cases {
            let reply = ControlReply(id: .text("id"), outcome: outcome)
            #expect(try ControlReply.decode(reply.encoded().dropLast(), for: command) == reply)
        }
    }

    @Test func aReplyOfAnotherVersionOrShapeIsUnreadable() {
        #expect(throws: ControlReply.UnreadableReply.self) {
            try ControlReply.decode(Array(#"{"version":2,"ok":true,"result":{}}"#.utf8), for: .status)
        }
        #expect(throws: ControlReply.UnreadableReply.self) {
            try ControlReply.decode(Array(#"{"version":1,"ok":true,"result":{"pid":"x"}}"#.utf8), for: .status)
        }
        #expect(throws: ControlReply.UnreadableReply.self) {
            try ControlReply.decode(Array("garbage".utf8), for: .status)
        }
    }
}
