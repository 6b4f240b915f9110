import Foundation
import NetbootWire
import Testing
@testable import BootImages
@testable import BootServices

/// BSDP through `DHCPServerCore`, bytes in and out (reference §1.6).
@Suite struct BSDPResponderTests {
    static let mac = MACAddress("00:17:f2:00:00:01")!
    static let clientIP = IPv4Address(10, 0, 0, 150)

    static func image(_ index: UInt16, name: String? = nil, isDefault: Bool = false, models: [String] = [],
                      macs: [MACAddress] = []) -> NetBootImage {
        NetBootImage(folder: "Image \(index).nbi", name: name ?? "Image number \(index)", index: index, kind: 1,
                     isInstall: index % 2 == 0, isDefault: isDefault, isEnabled: true, isFilterOnly: false, type: .http,
                     bootFile: "booter", architectures: ["i386"], topLevelBootFileArchitectures: [],
                     rootPath: .local(file: "NetInstall.dmg"), enabledSystemIdentifiers: models,
                     disabledSystemIdentifiers: [], enabledMACAddresses: macs, disabledMACAddresses: [],
                     supportsDiskless: false, loadBalanceServer: nil, imageDescription: nil, language: nil,
                     osVersion: nil, warnings: [])
    }

    static func core(_ images: [NetBootImage], mode: DHCPServerCore.Mode = .proxy,
                     bindings: [BSDPBinding] = []) -> DHCPServerCore {
        let responder = BSDPResponder(configuration: .init(serverPriority: 40000, serverName: "netboot",
                                                           tftpPathPrefix: "", httpBasePath: "/images"),
                                      catalog: ImageCatalog(directory: "/srv/images", images: images),
                                      bindings: bindings)
        return DHCPServerCore(mode: mode, pool: Lab.configuration(), bsdp: responder)
    }

    static func inform(_ bsdp: BSDPMessage, model: String = "MacBookPro11,2", ciaddr: IPv4Address = clientIP,
                       maxSize: UInt16? = nil) -> [UInt8] {
        Wire.client(.inform, mac) {
            $0.ciaddr = ciaddr
            $0.set(.vendorClassIdentifier, Array("AAPLBSDPC/i386/\(model)".utf8))
            $0.setInstances(.vendorSpecificInformation, (try? bsdp.encode()) ?? [])
            if let maxSize { $0.setValue(.maximumMessageSize, maxSize) }
        }
    }

    static func list(replyPort: UInt16? = nil, maxSize: UInt16? = nil) -> BSDPMessage {
        .informList(BSDPListRequest(replyPort: replyPort, maxMessageSize: maxSize))
    }

    static func decodeBSDP(_ message: DHCPMessage) throws -> BSDPMessage {
        try BSDPMessage.decode(carrier: message.messageType == .offer ? .offer : .ack,
                               instances: message.instances(of: .vendorSpecificInformation))
    }

    @Test func listGetsAckListUnicastToCiaddr() throws {
        // The scanner puts IsDefault images first (Apple's list order); the default is the first eligible.
        var core = Self.core([Self.image(2, isDefault: true), Self.image(1)])
        let exchange = core.handle(Self.inform(Self.list()), receipt: Wire.receipt, now: Lab.t0)
        let (ack, outgoing) = try #require(Wire.reply(exchange))
        #expect(ack.messageType == .ack && ack.ciaddr == Self.clientIP && ack.yiaddr == .any)
        #expect(ack.data(for: .vendorClassIdentifier) == Array("AAPLBSDPC".utf8))
        #expect(try ack.value(.serverIdentifier) == Lab.server)
        #expect(outgoing.destination == .unicast(Self.clientIP) && outgoing.destinationPort == 68)
        guard case .ackList(let list) = try Self.decodeBSDP(ack) else { Issue.record("not ACK[LIST]"); return }
        #expect(list.serverPriority == 40000)
        #expect(list.defaultImage?.index == 2)
        #expect(list.images.map(\.name) == ["Image number 2", "Image number 1"])
        #expect(list.selectedImage == nil)
    }

    @Test func fortyImagesSpanSeveralOptionInstancesWithinTheBudget() throws {
        let images = (1...40).map { Self.image(UInt16($0), name: "Install macOS image \($0)") }
        var core = Self.core(images)
        let big = core.handle(Self.inform(Self.list(maxSize: 8192)), receipt: Wire.receipt, now: Lab.t0)
        let (ack, outgoing) = try #require(Wire.reply(big))
        #expect(ack.instances(of: .vendorSpecificInformation).count >= 4)
        #expect(ack.instances(of: .vendorSpecificInformation).allSatisfy { $0.count <= 255 })
        guard case .ackList(let list) = try Self.decodeBSDP(ack) else { Issue.record("not ACK[LIST]"); return }
        #expect(list.images.count == 40)
        #expect(outgoing.bytes.count <= 8192 - 28)
        // Without a stated size the budget is 548 − 28 bytes: the list is cut and the log says so.
        let small = core.handle(Self.inform(Self.list()), receipt: Wire.receipt, now: Lab.t0)
        let (cut, cutOut) = try #require(Wire.reply(small))
        guard case .ackList(let shortList) = try Self.decodeBSDP(cut) else { Issue.record("not ACK[LIST]"); return }
        #expect(shortList.images.count < 40 && shortList.images.count > 0)
        #expect(cutOut.bytes.count <= 520)
        #expect(small.reason.contains("truncated to first \(shortList.images.count) images"))
    }

    @Test func modelAndMACFiltersShapeTheList() throws {
        let images = [Self.image(1, models: ["iMac14,3"]), Self.image(2, macs: [MACAddress("00:17:f2:99:99:99")!]),
                      Self.image(3)]
        var core = Self.core(images)
        let (ack, _) = try #require(Wire.reply(core.handle(Self.inform(Self.list()), receipt: Wire.receipt, now: Lab.t0)))
        guard case .ackList(let list) = try Self.decodeBSDP(ack) else { Issue.record("not ACK[LIST]"); return }
        #expect(list.images.map(\.id.index) == [3])
        let (imac, _) = try #require(Wire.reply(core.handle(Self.inform(Self.list(), model: "iMac14,3"),
                                                            receipt: Wire.receipt, now: Lab.t0)))
        guard case .ackList(let imacList) = try Self.decodeBSDP(imac) else { Issue.record("not ACK[LIST]"); return }
        #expect(imacList.images.map(\.id.index) == [1, 3])
    }

    @Test func selectGetsBootFileRootPathAndIsRemembered() throws {
        let image = Self.image(2)
        var core = Self.core([Self.image(1), image])
        let select = BSDPMessage.informSelect(BSDPSelectRequest(
            serverIdentifier: Lab.server, selectedImage: BootImageID(rawValue: image.bootImageIDValue), replyPort: 1000))
        let exchange = core.handle(Self.inform(select), receipt: Wire.receipt, now: Lab.t0)
        let (ack, outgoing) = try #require(Wire.reply(exchange))
        #expect(ack.siaddr == Lab.server && ack.serverName == "netboot")
        #expect(ack.bootFileName == "Image 2.nbi/i386/booter")
        #expect(try ack.value(.rootPath) == "http://10.0.0.2/images/Image%202.nbi/NetInstall.dmg")
        #expect(outgoing.destinationPort == 1000)
        guard case .ackSelect(let reply) = try Self.decodeBSDP(ack) else { Issue.record("not ACK[SELECT]"); return }
        #expect(reply.selectedImage?.rawValue == image.bootImageIDValue)
        #expect(reply.machineName?.hasPrefix("NetBoot") == true)
        #expect(exchange.bindingChange == .save(BSDPBinding(mac: Self.mac, imageID: image.bootImageIDValue,
                                                            serverIdentifier: Lab.server, selectedAt: Lab.t0)))
        // The next LIST names the selection (sub-option 8).
        let (list, _) = try #require(Wire.reply(core.handle(Self.inform(Self.list()), receipt: Wire.receipt, now: Lab.t0)))
        guard case .ackList(let listed) = try Self.decodeBSDP(list) else { Issue.record("not ACK[LIST]"); return }
        #expect(listed.selectedImage?.rawValue == image.bootImageIDValue)
    }

    @Test func selectOfAnotherServerForgetsTheBindingSilently() {
        let binding = BSDPBinding(mac: Self.mac, imageID: Self.image(1).bootImageIDValue, serverIdentifier: Lab.server,
                                  selectedAt: Lab.t0)
        var core = Self.core([Self.image(1)], bindings: [binding])
        let select = BSDPMessage.informSelect(BSDPSelectRequest(
            serverIdentifier: IPv4Address(10, 0, 0, 9), selectedImage: BootImageID(rawValue: Self.image(1).bootImageIDValue)))
        let exchange = core.handle(Self.inform(select), receipt: Wire.receipt, now: Lab.t0)
        #expect(exchange.reasonLabel == "bsdp_selected_other_server")
        #expect(exchange.bindingChange == .remove(Self.mac, namingServer: nil))
        #expect(core.bsdp?.bindings.isEmpty == true)
    }

    @Test func unknownOrFilteredImageGetsAckFailed() throws {
        var core = Self.core([Self.image(1), Self.image(2, models: ["iMac14,3"])])
        for id in [UInt32(0x0100_0999), Self.image(2).bootImageIDValue] {
            let select = BSDPMessage.informSelect(BSDPSelectRequest(serverIdentifier: Lab.server,
                                                                    selectedImage: BootImageID(rawValue: id)))
            let exchange = core.handle(Self.inform(select), receipt: Wire.receipt, now: Lab.t0)
            let (ack, _) = try #require(Wire.reply(exchange))
            #expect(ack.instances(of: .vendorSpecificInformation) == [[1, 1, 3]])
            #expect(exchange.reason.hasPrefix("ACK[FAILED]"))
            #expect(exchange.bindingChange == nil)
        }
    }

    @Test func informWithoutCiaddrIsDroppedAndHighReplyPortsGet68() throws {
        var core = Self.core([Self.image(1)])
        let none = core.handle(Self.inform(Self.list(), ciaddr: .any), receipt: Wire.receipt, now: Lab.t0)
        #expect(none.reasonLabel == "bsdp_no_ciaddr")
        let high = core.handle(Self.inform(Self.list(replyPort: 5000)), receipt: Wire.receipt, now: Lab.t0)
        #expect(Wire.reply(high)?.1.destinationPort == 68)
        #expect(high.reason.contains("5000 ≥ 1024"))
        let malformed = core.handle(Wire.client(.inform, Self.mac) {
            $0.ciaddr = Self.clientIP
            $0.set(.vendorClassIdentifier, Array("AAPLBSDPC/i386/X".utf8))
            $0.set(.vendorSpecificInformation, [1, 1, 1, 2, 9, 1])
        }, receipt: Wire.receipt, now: Lab.t0)
        #expect(malformed.reasonLabel == "bsdp_malformed")
    }

    @Test func boundClientsDiscoverGetsOfferStarBesideTheLeaseOffer() throws {
        let image = Self.image(1)
        let binding = BSDPBinding(mac: Self.mac, imageID: image.bootImageIDValue, serverIdentifier: Lab.server, selectedAt: Lab.t0)
        let discover = Wire.client(.discover, Self.mac) {
            $0.set(.vendorClassIdentifier, Array("AAPLBSDPC/i386/MacBookPro11,2".utf8))
            $0.setInstances(.vendorSpecificInformation, (try? BSDPMessage.discover(BSDPClientParameters()).encode()) ?? [])
        }
        var proxy = Self.core([image], bindings: [binding])
        let (offer, outgoing) = try #require(Wire.reply(proxy.handle(discover, receipt: Wire.receipt, now: Lab.t0)))
        #expect(offer.messageType == .offer && offer.yiaddr == .any && offer.ciaddr == .any)
        #expect(offer.bootFileName == "Image 1.nbi/i386/booter")
        #expect(outgoing.destination == .linkLayer(mac: Self.mac, address: .broadcast))
        guard case .offer(let star) = try Self.decodeBSDP(offer) else { Issue.record("not OFFER*"); return }
        #expect(star.selectedImage?.rawValue == image.bootImageIDValue)
        #expect(!offer.instances(of: .vendorSpecificInformation).joined().starts(with: [1, 1]))

        var authoritative = Self.core([image], mode: .authoritative, bindings: [binding])
        let both = authoritative.handle(discover, receipt: Wire.receipt, now: Lab.t0)
        #expect(Wire.reply(both)?.0.yiaddr == IPv4Address(10, 0, 0, 100))
        #expect(both.additional.count == 1)
        // An unbound client's DISCOVER gets nothing from BSDP.
        var unbound = Self.core([image])
        #expect(unbound.handle(discover, receipt: Wire.receipt, now: Lab.t0).reasonLabel == "proxy_not_boot_client")
    }
}
