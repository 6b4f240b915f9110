import Foundation
import NetbootWire
import Testing
@testable import BootImages
@testable import BootServices

/// BSDP with bindings from a store shared by several appliances (issue 19; docs/store.md "BSDP
/// across appliances"), and sub-option 4 following load (`BSDPServerPriority`).
@Suite struct BSDPSiteSelectionTests {
    typealias R = BSDPResponderTests
    /// Appliance A; the core under test answers as `Lab.server` (appliance B).
    static let peer = IPv4Address(10, 0, 0, 3)

    static func core(_ images: [NetBootImage], site: Bool, bindings: [BSDPBinding] = [], capacity: Int = 0,
                     window: TimeInterval = 900) -> DHCPServerCore {
        let responder = BSDPResponder(configuration: .init(serverPriority: 40000, serverName: "netboot",
                                                           tftpPathPrefix: "", httpBasePath: "/images",
                                                           honoursSiteSelections: site, loadCapacity: capacity,
                                                           loadWindow: window),
                                      catalog: ImageCatalog(directory: "/srv/images", images: images),
                                      bindings: bindings)
        return DHCPServerCore(mode: .proxy, pool: Lab.configuration(), bsdp: responder)
    }

    static var discover: [UInt8] {
        Wire.client(.discover, R.mac) {
            $0.set(.vendorClassIdentifier, Array("AAPLBSDPC/i386/MacBookPro11,2".utf8))
            $0.setInstances(.vendorSpecificInformation, (try? BSDPMessage.discover(BSDPClientParameters()).encode()) ?? [])
        }
    }

    static func listed(_ core: inout DHCPServerCore, now: Date = Lab.t0) throws -> BSDPListReply? {
        let (ack, _) = try #require(Wire.reply(core.handle(R.inform(R.list()), receipt: Wire.receipt, now: now)))
        guard case .ackList(let list) = try R.decodeBSDP(ack) else { return nil }
        return list
    }

    static func selectNaming(_ server: IPv4Address, image: NetBootImage) -> [UInt8] {
        R.inform(.informSelect(BSDPSelectRequest(serverIdentifier: server,
                                                 selectedImage: BootImageID(rawValue: image.bootImageIDValue))))
    }

    @Test func aSelectionMadeThroughAPeerIsHonouredOnASharedStore() throws {
        let image = R.image(2)
        let viaA = BSDPBinding(mac: R.mac, imageID: image.bootImageIDValue, serverIdentifier: Self.peer, selectedAt: Lab.t0)
        var shared = Self.core([R.image(1, isDefault: true), image], site: true, bindings: [viaA])
        #expect(try Self.listed(&shared)?.selectedImage?.rawValue == image.bootImageIDValue)
        let (offer, _) = try #require(Wire.reply(shared.handle(Self.discover, receipt: Wire.receipt, now: Lab.t0)))
        // OFFER* from this server: its own siaddr and server identifier, the image the Mac chose via A.
        #expect(offer.siaddr == Lab.server)
        #expect(try offer.value(.serverIdentifier) == Lab.server)
        guard case .offer(let star) = try R.decodeBSDP(offer) else { Issue.record("not OFFER*"); return }
        #expect(star.selectedImage?.rawValue == image.bootImageIDValue)

        // One appliance (SQLite): a binding naming another server is not this server's to honour.
        var alone = Self.core([R.image(1, isDefault: true), image], site: false, bindings: [viaA])
        #expect(try Self.listed(&alone)?.selectedImage == nil)
        #expect(alone.handle(Self.discover, receipt: Wire.receipt, now: Lab.t0).reasonLabel == "proxy_not_boot_client")
    }

    @Test func aSelectOfAPeerNeverDeletesThePeersBinding() {
        let image = R.image(1)
        // B holds A's binding (read from the store); the Mac's broadcast SELECT naming A reaches B.
        let viaA = BSDPBinding(mac: R.mac, imageID: image.bootImageIDValue, serverIdentifier: Self.peer, selectedAt: Lab.t0)
        var core = Self.core([image], site: true, bindings: [viaA])
        let exchange = core.handle(Self.selectNaming(Self.peer, image: image), receipt: Wire.receipt, now: Lab.t0 + 5)
        #expect(exchange.reasonLabel == "bsdp_selected_other_server")
        #expect(exchange.bindingChange == nil)
        #expect(core.bsdp?.bindings[R.mac] == viaA)

        // B's own binding goes, but only as "if it still names B": A may have saved its new one first.
        let viaB = BSDPBinding(mac: R.mac, imageID: image.bootImageIDValue, serverIdentifier: Lab.server, selectedAt: Lab.t0)
        var own = Self.core([image], site: true, bindings: [viaB])
        let forgotten = own.handle(Self.selectNaming(Self.peer, image: image), receipt: Wire.receipt, now: Lab.t0 + 5)
        #expect(forgotten.bindingChange == .remove(R.mac, namingServer: Lab.server))
        #expect(own.bsdp?.bindings.isEmpty == true)
    }

    @Test func aRefreshKeepsSelectionsNewerThanTheRead() throws {
        let image = R.image(1)
        var responder = try #require(Self.core([image], site: true).bsdp)
        let other = MACAddress("00:17:f2:00:00:02")!
        let local = BSDPBinding(mac: R.mac, imageID: 1, serverIdentifier: Lab.server, selectedAt: Lab.t0 + 10)
        let justMade = BSDPBinding(mac: other, imageID: 2, serverIdentifier: Lab.server, selectedAt: Lab.t0 + 20)
        let gone = BSDPBinding(mac: MACAddress("00:17:f2:00:00:03")!, imageID: 3, serverIdentifier: Lab.server,
                               selectedAt: Lab.t0)
        responder.merge(stored: [local, justMade, gone], readAt: Lab.t0)
        // The store (read at t0+15) has an older selection for R.mac and not yet `justMade`;
        // `gone` was removed from it.
        let older = BSDPBinding(mac: R.mac, imageID: 9, serverIdentifier: Self.peer, selectedAt: Lab.t0 + 1)
        responder.merge(stored: [older], readAt: Lab.t0 + 15)
        #expect(responder.bindings == [R.mac: local, other: justMade])
        // A newer selection through the peer replaces the local one.
        let newer = BSDPBinding(mac: R.mac, imageID: 9, serverIdentifier: Self.peer, selectedAt: Lab.t0 + 30)
        responder.merge(stored: [newer, justMade], readAt: Lab.t0 + 31)
        #expect(responder.bindings == [R.mac: newer, other: justMade])
    }

    @Test func thePriorityRuleIsLinearFromBaseToZeroAtCapacity() {
        #expect(BSDPServerPriority.priority(base: 40000, recentSelections: 7, capacity: 0) == 40000)
        #expect(BSDPServerPriority.priority(base: 40000, recentSelections: 0, capacity: 10) == 40000)
        #expect(BSDPServerPriority.priority(base: 40000, recentSelections: 5, capacity: 10) == 20000)
        #expect(BSDPServerPriority.priority(base: 65535, recentSelections: 1, capacity: 3) == 43690)
        #expect(BSDPServerPriority.priority(base: 40000, recentSelections: 10, capacity: 10) == 0)
        #expect(BSDPServerPriority.priority(base: 40000, recentSelections: 1_000_000, capacity: 10) == 0)
        #expect(BSDPServerPriority.priority(base: 40000, recentSelections: -3, capacity: 10) == 40000)
        #expect(BSDPServerPriority.priority(base: 65535, recentSelections: 0, capacity: Int.max) == 65535)
    }

    @Test func thePriorityInAckListFollowsRecentSelectionsOfThisServer() throws {
        func binding(_ n: UInt64, _ server: IPv4Address, _ at: Date) -> BSDPBinding {
            BSDPBinding(mac: MACAddress(rawValue: 0x0017_f200_1000 + n), imageID: 1, serverIdentifier: server, selectedAt: at)
        }
        // Three recent selections of this server, one too old to count, two of the peer.
        let bindings = [binding(1, Lab.server, Lab.t0), binding(2, Lab.server, Lab.t0 + 50),
                        binding(3, Lab.server, Lab.t0 + 99), binding(4, Lab.server, Lab.t0 - 2000),
                        binding(5, Self.peer, Lab.t0), binding(6, Self.peer, Lab.t0)]
        var loaded = Self.core([R.image(1)], site: true, bindings: bindings, capacity: 4, window: 900)
        #expect(try Self.listed(&loaded, now: Lab.t0 + 100)?.serverPriority == 10000)
        // Later the selections age out of the window and the priority climbs back.
        #expect(try Self.listed(&loaded, now: Lab.t0 + 5000)?.serverPriority == 40000)
        // Off (capacity 0): the configured priority, whatever the load.
        var off = Self.core([R.image(1)], site: true, bindings: bindings)
        #expect(try Self.listed(&off, now: Lab.t0 + 100)?.serverPriority == 40000)
    }
}
