import Foundation
import NetbootWire

/// The one decision point of the DHCP service (issue 3 item 5): datagram bytes, the interface
/// they came in on and `now` in; a `DHCPExchange` out — a reply (bytes and RFC 2131 §4.1
/// destination) with the lease records to commit first, or a drop with its reason.
///
/// - `mode: authoritative`: DISCOVER/REQUEST/DECLINE/RELEASE/INFORM go to the
///   `DHCPLeaseEngine`; the OFFER/ACK of a PXE, HTTP boot or iPXE client carries its boot
///   parameters (`PXEResponder`).
/// - `mode: proxy`: never assigns an address (no engine); PXE/HTTP/iPXE clients get a proxyDHCP
///   offer (`yiaddr` 0), everything else is dropped.
/// BSDP INFORMs and bound clients' DISCOVERs go to the `BSDPResponder` in both modes.
///
/// Pure: no clock, no socket. Malformed input is a drop, never a trap.
public struct DHCPServerCore: Sendable {
    public enum Mode: String, Sendable {
        case proxy, authoritative
    }

    public let mode: Mode
    /// The lease engine (authoritative mode only).
    public private(set) var leases: DHCPLeaseEngine?
    /// PXE, UEFI HTTP boot and iPXE answers; nil: not served.
    public var pxe: PXEResponder?
    /// Apple BSDP answers; nil: not served.
    public var bsdp: BSDPResponder?
    /// Client classes and reservations' host settings (both modes).
    public let classifier: DHCPClientClassifier

    public init(mode: Mode, pool: DHCPPoolConfiguration? = nil, leases: [DHCPLease] = [], pxe: PXEResponder? = nil,
                bsdp: BSDPResponder? = nil) {
        self.mode = mode
        if mode == .authoritative, let pool {
            self.leases = DHCPLeaseEngine(configuration: pool, leases: leases)
        }
        self.classifier = pool?.classifier ?? DHCPClientClassifier()
        self.pxe = pxe
        self.bsdp = bsdp
    }

    /// Gives the engine the store's record after the store refused a write (another holder).
    public mutating func adopt(_ lease: DHCPLease) {
        leases?.adopt(lease)
    }

    /// Decides the answer to one received datagram.
    public mutating func handle(_ bytes: [UInt8], receipt: DHCPReceipt, now: Date) -> DHCPExchange {
        let message: DHCPMessage
        do {
            message = try DHCPMessage(decoding: bytes)
        } catch {
            return .drop(.malformed("\(error)"))
        }
        let mac = message.clientMAC
        guard message.op == .bootRequest else { return .drop(.notARequest, client: mac) }
        guard let type = try? message.value(.messageType) else { return .drop(.noMessageType, client: mac) }
        let boot = pxe.flatMap { $0.classify(message) }
        let profile = classifier.isEmpty
            ? DHCPClientProfile.none : classifier.profile(for: DHCPClientFacts(message: message, interface: receipt.interfaceName))
        var exchange = decide(message, type: type, boot: boot, profile: profile, receipt: receipt, now: now)
        if !profile.classes.isEmpty { exchange.reason += " [classes: \(profile.classes.joined(separator: ", "))]" }
        return exchange
    }

    private mutating func decide(_ message: DHCPMessage, type: DHCPMessageType, boot: PXEResponder.Client?,
                                 profile: DHCPClientProfile, receipt: DHCPReceipt, now: Date) -> DHCPExchange {
        let mac = message.clientMAC

        var offerStar: BSDPResponder.Result?
        // Mutations go through optional chaining so the stored value is changed in place (a copy
        // would duplicate every table on each packet).
        if bsdp != nil, BSDPResponder.isBSDP(message) {
            if type == .inform, let result = bsdp?.inform(message, receipt: receipt, now: now, images: profile.boot.bsdpImages) {
                return Self.exchange(result, client: mac, received: type)
            }
            if type == .discover { offerStar = bsdp?.offer(message, receipt: receipt, images: profile.boot.bsdpImages) }
        }

        switch mode {
        case .proxy:
            if let offerStar { return Self.exchange(offerStar, client: mac, received: type) }
            guard let boot, let pxe else { return .drop(.proxyNotBootClient, client: mac, received: type) }
            return pxe.proxyReply(to: message, type: type, client: boot, receipt: receipt, boot: profile.boot)
        case .authoritative:
            guard leases != nil else { return .drop(.unsupportedType(type), client: mac, received: type) }
            var request: DHCPLeaseRequest
            do {
                request = try DHCPLeaseRequest(message: message, receivedOn: leaseInterface(receipt))
                request.profile = profile
            } catch {
                if case .notAClientMessage = error { return .drop(.unsupportedType(type), client: mac, received: type) }
                return .drop(.unusable(error.description), client: mac, received: type)
            }
            guard let decision = leases?.handle(request, now: now) else {
                return .drop(.unsupportedType(type), client: mac, received: type)
            }
            guard let reply = decision.reply else {
                if let offerStar { return Self.exchange(offerStar, client: mac, received: type) }
                return .drop(.lease(decision.reason), client: mac, received: type, core: "lease", writes: decision.writes)
            }
            var out = reply.message(answering: message)
            var core = "lease"
            if let boot, let pxe, reply.messageType != .nak {
                switch pxe.decorate(&out, client: boot, receipt: receipt, boot: profile.boot) {
                case .success: core = "lease+pxe"
                case .failure(let why): return .drop(why, client: mac, received: type, core: "pxe", writes: decision.writes)
                }
            } else if let pxe, reply.messageType != .nak, profile.boot.bootFile != nil {
                pxe.decorateOther(&out, receipt: receipt, boot: profile.boot)
            }
            let leftOut = Self.fitConfiguredOptions(&out, reply.options, request: message)
            var exchange = Self.encode(out, destination: reply.destination, request: message, client: mac, received: type,
                                       core: core, writes: decision.writes, reason: decision.reason.description)
            if !leftOut.isEmpty {
                exchange.reason += "; options \(leftOut.map(String.init).joined(separator: ", ")) left out (client's size budget)"
            }
            if let star = offerStar?.reply {
                exchange.additional.append(star)
                exchange.core += "+bsdp"
                exchange.reason += "; \(offerStar?.reason ?? "")"
            }
            return exchange
        }
    }

    static func exchange(_ result: BSDPResponder.Result, client: MACAddress?, received: DHCPMessageType) -> DHCPExchange {
        var exchange: DHCPExchange
        if let reply = result.reply {
            exchange = DHCPExchange(client: client, received: received, core: "bsdp", outcome: .reply(reply), reason: result.reason)
        } else {
            exchange = .drop(.bsdp(code: result.dropCode ?? "drop", result.reason), client: client, received: received, core: "bsdp")
        }
        exchange.bindingChange = result.change
        return exchange
    }

    /// The engine sees the configured server identifier as the interface address, so that a
    /// SELECTING REQUEST naming it is recognised as ours.
    private func leaseInterface(_ receipt: DHCPReceipt) -> DHCPLeaseRequest.Interface {
        DHCPLeaseRequest.Interface(address: receipt.serverIdentifier, subnet: receipt.interface.subnet)
    }

    /// Encodes a reply within the client's maximum message size (option 57, at least 576; an
    /// echoed option 82 not counted in a reply to a relay), moving options into unused `file`
    /// and `sname` fields when it would not fit otherwise (`DHCPReplySize`).
    static func encode(_ out: DHCPMessage, destination: DHCPReplyDestination, destinationPort: UInt16? = nil,
                       request: DHCPMessage, client: MACAddress?, received: DHCPMessageType, core: String,
                       writes: [DHCPLease], reason: String) -> DHCPExchange {
        var relayed = false
        if case .relay = destination { relayed = true }
        let budget = DHCPReplySize.budget(request: request, reply: out, relayed: relayed)
        do {
            let bytes = try (DHCPReplySize.fit(out, budget: budget) ?? out).encode(maximumSize: budget)
            let type = out.messageType ?? .ack
            return DHCPExchange(client: client, received: received, core: core,
                                outcome: .reply(DHCPOutgoing(bytes: bytes, messageType: type, destination: destination,
                                                             destinationPort: destinationPort)),
                                writes: writes, reason: reason)
        } catch {
            return .drop(.encoding("\(error)"), client: client, received: received, core: core, writes: writes)
        }
    }
}
