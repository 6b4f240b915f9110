import BootImages
import Foundation
import NetbootWire

/// A client's remembered selection (reference §1.10, Apple's `/var/db/bsdpd_clients`).
public struct BSDPBinding: Hashable, Sendable {
    public var mac: MACAddress
    public var imageID: UInt32
    public var serverIdentifier: IPv4Address
    public var selectedAt: Date

    public init(mac: MACAddress, imageID: UInt32, serverIdentifier: IPv4Address, selectedAt: Date) {
        self.mac = mac
        self.imageID = imageID
        self.serverIdentifier = serverIdentifier
        self.selectedAt = selectedAt
    }
}

/// A change to the binding store that the shell persists before sending the reply.
public enum BSDPBindingChange: Hashable, Sendable {
    case save(BSDPBinding)
    /// Forget the MAC's binding; with a server identifier only if the stored binding names that
    /// server (a shared store: never a peer appliance's binding).
    case remove(MACAddress, namingServer: IPv4Address?)
}

/// Apple's BSDP server duties (BSDP 1.0.8; reference §1.2, §1.6, §1.8): INFORM[LIST] →
/// ACK[LIST], INFORM[SELECT] → ACK[SELECT] or ACK[FAILED], and the BSDP OFFER* to a bound
/// client's DISCOVER. Images and filters come from `BootImages`; wire from `NetbootWire.BSDP`.
/// Pure: bindings live in the value, changes leave as `BSDPBindingChange`s.
public struct BSDPResponder: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// Sub-option 4.
        public var serverPriority: UInt16
        /// `sname` of ACK[SELECT] / OFFER*; nil leaves it empty.
        public var serverName: String?
        /// Prefix of the `file` path: the images directory relative to the TFTP root
        /// (empty when they are the same directory).
        public var tftpPathPrefix: String
        /// URL path under which the images directory is served over HTTP (empty or `/…`).
        public var httpBasePath: String
        /// NFS export of the images directory.
        public var nfsExportPath: String
        /// Bindings come from a store shared by the appliances of one site: a selection naming
        /// any server identifier is honoured (ACK[LIST] option 8, OFFER*), and a SELECT naming
        /// another server forgets only a binding naming this one (docs/store.md).
        public var honoursSiteSelections: Bool
        /// `BSDPServerPriority`: Macs per server at which the priority reaches 0; 0 = static.
        public var loadCapacity: Int
        /// `BSDPServerPriority`: how long a selection counts as load.
        public var loadWindow: TimeInterval

        public init(serverPriority: UInt16 = 32768, serverName: String? = nil, tftpPathPrefix: String = "",
                    httpBasePath: String = "", nfsExportPath: String = "/images", honoursSiteSelections: Bool = false,
                    loadCapacity: Int = 0, loadWindow: TimeInterval = 900) {
            self.serverPriority = serverPriority
            self.serverName = serverName
            self.tftpPathPrefix = tftpPathPrefix
            self.httpBasePath = httpBasePath
            self.nfsExportPath = nfsExportPath
            self.honoursSiteSelections = honoursSiteSelections
            self.loadCapacity = loadCapacity
            self.loadWindow = loadWindow
        }
    }

    /// The answer to one BSDP packet.
    public struct Result: Hashable, Sendable {
        public var reply: DHCPOutgoing?
        public var reason: String
        /// Metrics code when there is no reply.
        public var dropCode: String?
        public var change: BSDPBindingChange?
    }

    public var configuration: Configuration
    public var catalog: ImageCatalog
    public private(set) var bindings: [MACAddress: BSDPBinding]

    public init(configuration: Configuration, catalog: ImageCatalog, bindings: [BSDPBinding] = []) {
        self.configuration = configuration
        self.catalog = catalog
        var byMAC: [MACAddress: BSDPBinding] = [:]
        for binding in bindings { byMAC[binding.mac] = binding }
        self.bindings = byMAC
    }

    /// Takes the bindings read from the store at `readAt` (a shared store's refresh). A binding
    /// this value holds that is newer than the store's (`selectedAt`), or made after the read
    /// began and so not yet in it, is kept: a refresh never undoes a selection just made here.
    public mutating func merge(stored: [BSDPBinding], readAt: Date) {
        var merged: [MACAddress: BSDPBinding] = [:]
        for binding in stored { merged[binding.mac] = binding }
        for (mac, local) in bindings {
            if let read = merged[mac] {
                if local.selectedAt > read.selectedAt { merged[mac] = local }
            } else if local.selectedAt >= readAt {
                merged[mac] = local
            }
        }
        bindings = merged
    }

    /// Whether this server honours `binding` when answering as `server`.
    func honours(_ binding: BSDPBinding, answeringAs server: IPv4Address) -> Bool {
        configuration.honoursSiteSelections || binding.serverIdentifier == server
    }

    /// Sub-option 4 for ACK[LIST]s sent as `server` at `now` (`BSDPServerPriority`).
    public func serverPriority(answeringAs server: IPv4Address, now: Date) -> UInt16 {
        guard configuration.loadCapacity > 0 else { return configuration.serverPriority }
        let recent = BSDPServerPriority.recentSelections(bindings.values, server: server, now: now,
                                                         window: configuration.loadWindow)
        return BSDPServerPriority.priority(base: configuration.serverPriority, recentSelections: recent,
                                           capacity: configuration.loadCapacity)
    }

    /// True for a message whose option 60 starts with `AAPLBSDPC`.
    public static func isBSDP(_ message: DHCPMessage) -> Bool {
        message.data(for: .vendorClassIdentifier).map { BSDPVendorClass.hasBSDPPrefix($0) } ?? false
    }

    // MARK: INFORM

    /// INFORM[LIST] or INFORM[SELECT] (reference §1.6). Replies go to `ciaddr` on the reply port
    /// (sub-option 5 when below 1024, else 68), from port 67. `images` (the client's class or
    /// reservation `bsdp-images`) limits the images it may list and select; nil: all.
    public mutating func inform(_ message: DHCPMessage, receipt: DHCPReceipt, now: Date, images: [String]? = nil) -> Result {
        let catalog = images.map { self.catalog.restricted(to: $0) } ?? self.catalog
        guard !message.ciaddr.isUnspecified else { return .drop("INFORM with no IP address (ciaddr 0)", "no_ciaddr") }
        guard let mac = message.clientMAC else { return .drop("chaddr is not an Ethernet address", "bad_chaddr") }
        guard let client = Self.client(message, mac: mac) else {
            return .drop("option 60 is not AAPLBSDPC/<arch>/<model>", "bad_vendor_class")
        }
        let bsdp: BSDPMessage
        do {
            bsdp = try BSDPMessage.decode(carrier: .inform, instances: message.instances(of: .vendorSpecificInformation))
        } catch {
            return .drop("malformed BSDP option 43: \(error)", "malformed")
        }
        switch bsdp {
        case .informList(let list):
            var client = client
            client.attributeFilter = list.attributesFilter
            return self.list(message, list: list, client: client, receipt: receipt, now: now, catalog: catalog)
        case .informSelect(let select):
            return self.select(message, select: select, client: client, receipt: receipt, now: now, catalog: catalog)
        default:
            return .drop("not an INFORM[LIST] or INFORM[SELECT]", "malformed")
        }
    }

    private func list(_ message: DHCPMessage, list: BSDPListRequest, client: NetBootClient, receipt: DHCPReceipt,
                      now: Date, catalog: ImageCatalog) -> Result {
        let decision = catalog.listDecision(for: client)
        guard let chosen = decision.defaultImage else {
            return .drop("no image applies to \(client.architecture)/\(client.systemIdentifier ?? "?")", "no_image")
        }
        var selected: BootImageID?
        if let binding = bindings[client.mac], honours(binding, answeringAs: receipt.serverIdentifier),
           case .selected = catalog.boundImage(imageID: binding.imageID, for: client) {
            selected = BootImageID(rawValue: binding.imageID)
        }
        let images = list.version == .v1_0 ? [] : decision.offered.map {
            BSDPBootImage(id: BootImageID(rawValue: $0.bootImageIDValue), name: $0.name)
        }
        let reply = BSDPMessage.ackList(BSDPListReply(
            serverPriority: serverPriority(answeringAs: receipt.serverIdentifier, now: now), defaultImage: BootImageID(rawValue: chosen.image.bootImageIDValue),
            selectedImage: selected, images: images))
        var out = Self.replyHeader(message, type: .ack, receipt: receipt)
        let budget = BSDPReplySize.dhcpMessageBudget(
            bsdp: list.maxMessageSize, dhcp: try? message.value(.maximumMessageSize))
        let packing: BSDPPacking
        do {
            packing = try reply.encode(dhcpMessageBudget: budget, restOfReplyLength: out.encodedSize)
        } catch {
            return .drop("ACK[LIST] does not fit the client's \(budget)-byte budget: \(error)", "encoding")
        }
        out.setInstances(.vendorSpecificInformation, packing.instances)
        var reason = "ACK[LIST] \(images.count - packing.droppedImages) image(s), default \(chosen.image.idText)"
        if packing.droppedImages > 0 {
            reason += "; image list truncated to first \(images.count - packing.droppedImages) images (\(packing.droppedImages) left out)"
        }
        let (port, portNote) = Self.replyPort(list.replyPort)
        return Self.send(out, to: message.ciaddr, port: port, budget: budget, reason: reason + portNote)
    }

    private mutating func select(_ message: DHCPMessage, select: BSDPSelectRequest, client: NetBootClient,
                                 receipt: DHCPReceipt, now: Date, catalog: ImageCatalog) -> Result {
        guard let serverID = select.serverIdentifier else {
            return .drop("INFORM[SELECT] without server identifier (sub-option 3)", "no_server_id")
        }
        guard serverID == receipt.serverIdentifier else {
            // Apple forgets its binding of a client that selected someone else. On a shared store
            // only a binding naming this server goes: the named server may be a peer appliance
            // that is saving this very selection (BSDPBindingRule.removes).
            let site = configuration.honoursSiteSelections
            var had = false
            if let binding = bindings[client.mac], !site || binding.serverIdentifier == receipt.serverIdentifier {
                bindings[client.mac] = nil
                had = true
            }
            return Result(reply: nil, reason: "client selected server \(serverID)" + (had ? "; binding forgotten" : ""),
                          dropCode: "selected_other_server",
                          change: had ? .remove(client.mac, namingServer: site ? receipt.serverIdentifier : nil) : nil)
        }
        let (port, portNote) = Self.replyPort(select.replyPort)
        let imageID = select.selectedImage?.rawValue ?? catalog.defaultImage(for: client)?.image.bootImageIDValue ?? 0
        switch catalog.select(imageID: imageID, for: client) {
        case .failed(let failure):
            var out = Self.replyHeader(message, type: .ack, receipt: receipt)
            out.setInstances(.vendorSpecificInformation, (try? BSDPMessage.ackFailed(additional: []).encode()) ?? [[1, 1, 3]])
            return Self.send(out, to: message.ciaddr, port: port, budget: 1472, reason: "ACK[FAILED]: \(failure)" + portNote)
        case .selected(let image):
            var out = Self.replyHeader(message, type: .ack, receipt: receipt)
            let note = fillBootParameters(&out, image: image, client: client, receipt: receipt)
            let reply = BSDPMessage.ackSelect(BSDPSelectReply(
                selectedImage: BootImageID(rawValue: image.bootImageIDValue), machineName: Self.machineName(client.mac)))
            guard let instances = try? reply.encode() else { return .drop("ACK[SELECT] not encodable", "encoding") }
            out.setInstances(.vendorSpecificInformation, instances)
            let binding = BSDPBinding(mac: client.mac, imageID: image.bootImageIDValue,
                                      serverIdentifier: receipt.serverIdentifier, selectedAt: now)
            bindings[client.mac] = binding
            var result = Self.send(out, to: message.ciaddr, port: port, budget: 1472,
                                   reason: "ACK[SELECT] \(image.idText) \"\(image.name)\"" + note + portNote)
            result.change = .save(binding)
            return result
        }
    }

    // MARK: DISCOVER from a bound client

    /// The BSDP OFFER* (reference §1.2 "subsequent boot"): `yiaddr` 0, the boot file and the
    /// selected image, for a client bound to this server whose image still applies; nil otherwise.
    public func offer(_ message: DHCPMessage, receipt: DHCPReceipt, images: [String]? = nil) -> Result? {
        let catalog = images.map { self.catalog.restricted(to: $0) } ?? self.catalog
        guard let mac = message.clientMAC, let binding = bindings[mac],
              honours(binding, answeringAs: receipt.serverIdentifier),
              var client = Self.client(message, mac: mac) else { return nil }
        if let params = try? BSDPMessage.decode(carrier: .discover, instances: message.instances(of: .vendorSpecificInformation)),
           case .discover(let parameters) = params {
            client.attributeFilter = parameters.attributesFilter
        }
        guard case .selected(let image) = catalog.boundImage(imageID: binding.imageID, for: client) else { return nil }
        var out = Self.replyHeader(message, type: .offer, receipt: receipt)
        out.ciaddr = .any
        let note = fillBootParameters(&out, image: image, client: client, receipt: receipt)
        let reply = BSDPMessage.offer(BSDPSelectReply(
            selectedImage: BootImageID(rawValue: image.bootImageIDValue), machineName: Self.machineName(mac)))
        guard let instances = try? reply.encode() else { return nil }
        out.setInstances(.vendorSpecificInformation, instances)
        let destination: DHCPReplyDestination = if !message.giaddr.isUnspecified {
            .relay(message.giaddr)
        } else if message.broadcast {
            .broadcast
        } else {
            .linkLayer(mac: mac, address: .broadcast)
        }
        guard let bytes = try? out.encode(maximumSize: BSDPReplySize.linkLayerMaxMessageSize - BSDPReplySize.ipUDPHeaderLength) else {
            return nil
        }
        return Result(reply: DHCPOutgoing(bytes: bytes, messageType: .offer, destination: destination),
                      reason: "BSDP OFFER* \(image.idText) \"\(image.name)\" (bound client)" + note, dropCode: nil, change: nil)
    }

    // MARK: pieces

    static func client(_ message: DHCPMessage, mac: MACAddress) -> NetBootClient? {
        guard let data = message.data(for: .vendorClassIdentifier),
              let vendor = try? BSDPVendorClass.parse(data),
              let arch = vendor.architecture, let model = vendor.systemIdentifier else { return nil }
        return NetBootClient(mac: mac, architecture: arch, systemIdentifier: model)
    }

    /// Apple's reply header (`make_dhcp_reply`): request fields copied, `op` 2, `hops` 0, options
    /// 53, 54, 60 `AAPLBSDPC`.
    static func replyHeader(_ request: DHCPMessage, type: DHCPMessageType, receipt: DHCPReceipt) -> DHCPMessage {
        var out = DHCPMessage(op: .bootReply, htype: request.htype, hlen: request.hlen, xid: request.xid,
                              flags: request.flags, ciaddr: request.ciaddr, siaddr: receipt.serverIdentifier,
                              giaddr: request.giaddr, chaddr: request.chaddr)
        out.messageType = type
        out.setValue(.serverIdentifier, receipt.serverIdentifier)
        out.set(.vendorClassIdentifier, BSDPVendorClass.server.bytes)
        return out
    }

    /// `siaddr`, `sname`, `file` (the boot file's TFTP path; omitted if it does not fit 128
    /// bytes, as Apple does) and option 17. Returns a note for the log.
    private func fillBootParameters(_ out: inout DHCPMessage, image: NetBootImage, client: NetBootClient,
                                    receipt: DHCPReceipt) -> String {
        var note = ""
        let server = image.serverAddress(answeringFrom: receipt.serverIdentifier)
        out.siaddr = server
        if let name = configuration.serverName, image.loadBalanceServer == nil {
            out.sname = Array(name.utf8.prefix(DHCPMessage.snameSize - 1))
        }
        if let path = image.bootFilePath(architecture: client.architecture) {
            let file = Array((configuration.tftpPathPrefix + path).utf8)
            if file.count < DHCPMessage.fileSize { out.file = file } else { note += "; boot file path over 127 bytes omitted" }
        }
        if let root = image.rootPathOption(server: receipt.serverIdentifier, httpBasePath: configuration.httpBasePath,
                                           nfsExportPath: configuration.nfsExportPath) {
            out.setValue(.rootPath, root)
        }
        return note
    }

    /// Sub-option 5 when below 1024, else 68 (issue 3; Apple drops such requests instead).
    static func replyPort(_ asked: UInt16?) -> (UInt16, String) {
        guard let asked else { return (DHCPReplyDestination.clientPort, "") }
        if asked < 1024 { return (asked, "") }
        return (DHCPReplyDestination.clientPort, "; reply port \(asked) ≥ 1024 not honoured, replying to 68")
    }

    /// `NetBoot%03d` (Apple's `machine_name_format`), numbered from the MAC's low bits.
    static func machineName(_ mac: MACAddress) -> String {
        let number = Int(mac.rawValue % 1000)
        return "NetBoot" + String(repeating: "0", count: number < 10 ? 2 : number < 100 ? 1 : 0) + String(number)
    }

    static func send(_ out: DHCPMessage, to address: IPv4Address, port: UInt16, budget: Int, reason: String) -> Result {
        do {
            let bytes = try out.encode(maximumSize: budget)
            return Result(reply: DHCPOutgoing(bytes: bytes, messageType: out.messageType ?? .ack,
                                              destination: .unicast(address), destinationPort: port),
                          reason: reason, dropCode: nil, change: nil)
        } catch {
            return .drop("reply not encodable: \(error)", "encoding")
        }
    }
}

extension BSDPResponder.Result {
    static func drop(_ reason: String, _ code: String) -> Self {
        Self(reply: nil, reason: reason, dropCode: code, change: nil)
    }
}
