import Foundation
import NetbootWire

/// PXE (Intel PXE 2.1, RFC 4578), UEFI HTTP boot (UEFI 2.x §24.7) and iPXE answers: which boot
/// file or URL a network-boot client gets, and the proxyDHCP reply of `mode: proxy`.
///
/// - iPXE (option 77 user class `iPXE`, or option 175 present) gets `ipxe-script-url`;
/// - `HTTPClient…` (option 60) gets `http-boot-url` and option 60 `HTTPClient`;
/// - `PXEClient…` gets the boot file of its architecture (option 93: 0 BIOS, 7/9 x64 UEFI,
///   11 ARM64 UEFI), `siaddr` = the server (TFTP), option 60 `PXEClient` and the PXE vendor
///   option 43 with discovery control 0x08 ("a boot file is in this offer: download it, skip
///   boot server discovery", PXE 2.1 table 2-1), as dnsmasq sends it.
///
/// URL templates take `{server}`, `{mac}` and `{ip}`. Pure.
public struct PXEResponder: Hashable, Sendable {
    public struct Configuration: Hashable, Sendable {
        public var bios: String
        public var uefiX64: String
        public var uefiArm64: String
        public var httpBootURL: String
        public var ipxeScriptURL: String

        public init(bios: String = "undionly.kpxe", uefiX64: String = "ipxe.efi", uefiArm64: String = "ipxe-arm64.efi",
                    httpBootURL: String = "http://{server}/ipxe.efi",
                    ipxeScriptURL: String = "http://{server}/boot/ipxe?mac={mac}") {
            self.bios = bios
            self.uefiX64 = uefiX64
            self.uefiArm64 = uefiArm64
            self.httpBootURL = httpBootURL
            self.ipxeScriptURL = ipxeScriptURL
        }
    }

    /// A network-boot client as its DISCOVER/REQUEST describes it.
    public enum Client: Hashable, Sendable, CustomStringConvertible {
        case pxe(architecture: UInt16?)
        case http(architecture: UInt16?)
        case ipxe(architecture: UInt16?)

        public var description: String {
            switch self {
            case .pxe(let arch): "PXEClient arch \(arch.map(String.init) ?? "?")"
            case .http(let arch): "HTTPClient arch \(arch.map(String.init) ?? "?")"
            case .ipxe(let arch): "iPXE arch \(arch.map(String.init) ?? "?")"
            }
        }
    }

    /// What the client is told to boot.
    public struct Answer: Hashable, Sendable {
        /// The `file` field and option 67.
        public var bootFile: String
        /// Option 60 of the reply.
        public var vendorClass: String
        /// Option 43 (PXE vendor options), for `PXEClient` answers.
        public var vendorOptions: [UInt8]?
    }

    /// PXE vendor option 43: sub-option 6 (PXE_DISCOVERY_CONTROL) = 0x08, then end.
    public static let discoveryControl: [UInt8] = [6, 1, 0x08, 255]

    public var configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The kind of network-boot client, or nil for any other client (BSDP `AAPLBSDPC` included).
    public func classify(_ message: DHCPMessage) -> Client? {
        let vendor = message.data(for: .vendorClassIdentifier).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let arch = (try? message.value(.clientSystemArchitecture))?.first?.rawValue
        let userClass = message.data(for: .userClass) ?? []
        let isIPXE = message.contains(.ipxeEncapsulated) || Self.contains(userClass, Array("iPXE".utf8))
        if isIPXE { return .ipxe(architecture: arch) }
        if vendor.hasPrefix("HTTPClient") { return .http(architecture: arch) }
        if vendor.hasPrefix("PXEClient") { return .pxe(architecture: arch) }
        return nil
    }

    /// The boot file or URL for `client`, or why there is none. `boot` (the client's class or
    /// reservation settings) overrides the defaults: its `boot-file` for PXE and HTTP boot
    /// clients, its `ipxe-script` (else `boot-file`) for iPXE.
    public func answer(for client: Client, mac: MACAddress?, server: IPv4Address,
                       clientAddress: IPv4Address, boot: DHCPBootSettings = DHCPBootSettings()) -> Result<Answer, DHCPDropReason> {
        switch client {
        case .ipxe:
            let template = boot.ipxeScript ?? boot.bootFile ?? configuration.ipxeScriptURL
            return .success(Answer(bootFile: expand(template, mac: mac, server: server, ip: clientAddress),
                                   vendorClass: "PXEClient", vendorOptions: nil))
        case .http:
            let template = boot.bootFile ?? configuration.httpBootURL
            return .success(Answer(bootFile: expand(template, mac: mac, server: server, ip: clientAddress),
                                   vendorClass: "HTTPClient", vendorOptions: nil))
        case .pxe(let arch):
            if let file = boot.bootFile {
                return .success(Answer(bootFile: expand(file, mac: mac, server: server, ip: clientAddress),
                                       vendorClass: "PXEClient", vendorOptions: Self.discoveryControl))
            }
            let file: String? = switch arch ?? 0 {
            case 0: configuration.bios
            case 7, 9: configuration.uefiX64
            case 11: configuration.uefiArm64
            case 16: configuration.uefiX64
            default: nil
            }
            guard let file else { return .failure(.pxe("no boot file for client architecture \(arch ?? 0)")) }
            return .success(Answer(bootFile: file, vendorClass: "PXEClient", vendorOptions: Self.discoveryControl))
        }
    }

    /// Adds the boot parameters to a lease OFFER/ACK (authoritative mode).
    public func decorate(_ out: inout DHCPMessage, client: Client, receipt: DHCPReceipt,
                         boot: DHCPBootSettings = DHCPBootSettings()) -> Result<Void, DHCPDropReason> {
        let address = out.yiaddr.isUnspecified ? out.ciaddr : out.yiaddr
        switch answer(for: client, mac: out.clientMAC, server: receipt.serverIdentifier, clientAddress: address, boot: boot) {
        case .failure(let why): return .failure(why)
        case .success(let answer):
            apply(answer, to: &out, server: boot.nextServer ?? receipt.serverIdentifier)
            return .success(())
        }
    }

    /// A class's or host's `boot-file` for a client that is not a network-boot client (dnsmasq's
    /// `dhcp-boot` for any tagged client): `file`, option 67 and `siaddr`, nothing else.
    public func decorateOther(_ out: inout DHCPMessage, receipt: DHCPReceipt, boot: DHCPBootSettings) {
        guard let template = boot.bootFile else { return }
        let address = out.yiaddr.isUnspecified ? out.ciaddr : out.yiaddr
        let file = expand(template, mac: out.clientMAC, server: receipt.serverIdentifier, ip: address)
        out.siaddr = boot.nextServer ?? receipt.serverIdentifier
        let bytes = Array(file.utf8)
        if bytes.count < DHCPMessage.fileSize { out.file = bytes }
        out.setValue(.bootfileName, file)
    }

    /// The proxyDHCP answer (`mode: proxy`, PXE 2.1 §2.2.3): a DISCOVER gets an OFFER, a REQUEST
    /// sent to port 4011 an ACK, both with `yiaddr` 0. Other messages are dropped.
    public func proxyReply(to request: DHCPMessage, type: DHCPMessageType, client: Client,
                           receipt: DHCPReceipt, boot: DHCPBootSettings = DHCPBootSettings()) -> DHCPExchange {
        let mac = request.clientMAC
        let replyType: DHCPMessageType
        switch type {
        case .discover: replyType = .offer
        case .request:
            // On port 67 a REQUEST is the client's address REQUEST to the DHCP server, even when
            // both share an address (and so a server identifier): answering it with `yiaddr` 0
            // makes EDK2 DECLINE its lease (seen with OVMF beside dnsmasq). Only the proxyDHCP
            // REQUEST to port 4011 gets an ACK, as dnsmasq does.
            guard receipt.localPort == PXEResponder.proxyPort else {
                return .drop(.pxe("REQUEST on port 67 is for the DHCP server (proxyDHCP ACKs REQUESTs on port 4011)"),
                             client: mac, received: type, core: "pxe")
            }
            replyType = .ack
        case .inform:
            replyType = .ack
        default:
            return .drop(.unsupportedType(type), client: mac, received: type, core: "pxe")
        }
        var out = DHCPMessage(op: .bootReply, htype: request.htype, hlen: request.hlen, xid: request.xid,
                              flags: request.flags, ciaddr: request.ciaddr, giaddr: request.giaddr, chaddr: request.chaddr)
        out.messageType = replyType
        out.setValue(.serverIdentifier, receipt.serverIdentifier)
        switch answer(for: client, mac: mac, server: receipt.serverIdentifier, clientAddress: request.ciaddr, boot: boot) {
        case .failure(let why): return .drop(why, client: mac, received: type, core: "pxe")
        case .success(let answer): apply(answer, to: &out, server: boot.nextServer ?? receipt.serverIdentifier)
        }
        var destination = DHCPReplyDestination.forReply(
            giaddr: request.giaddr, ciaddr: request.ciaddr, yiaddr: .any, broadcastFlag: request.broadcast,
            chaddr: mac, isNAK: false)
        var port: UInt16?
        if case .unicast = destination, receipt.localPort == PXEResponder.proxyPort {
            port = receipt.sourcePort
        }
        if case .broadcast = destination, !request.ciaddr.isUnspecified {
            destination = .unicast(request.ciaddr)
        }
        return DHCPServerCore.encode(out, destination: destination, destinationPort: port, request: request, client: mac,
                                     received: type, core: "pxe", writes: [], reason: "proxyDHCP \(client)")
    }

    /// The PXE boot server port (proxyDHCP REQUESTs, PXE 2.1 §2.2.5).
    public static let proxyPort: UInt16 = 4011

    private func apply(_ answer: Answer, to out: inout DHCPMessage, server: IPv4Address) {
        out.siaddr = server
        out.setValue(.vendorClassIdentifier, answer.vendorClass)
        if let vendor = answer.vendorOptions { out.set(.vendorSpecificInformation, vendor) }
        let bytes = Array(answer.bootFile.utf8)
        if bytes.count < DHCPMessage.fileSize { out.file = bytes }
        out.setValue(.bootfileName, answer.bootFile)
    }

    private func expand(_ template: String, mac: MACAddress?, server: IPv4Address, ip: IPv4Address) -> String {
        template.replacingOccurrences(of: "{server}", with: server.description)
            .replacingOccurrences(of: "{mac}", with: mac?.description ?? "")
            .replacingOccurrences(of: "{ip}", with: ip.description)
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
