import NetbootWire

/// The text line of a decoded packet, as `netboot decode` and `netboot capture` print it:
/// `TIME SRC → DST PROTO SUMMARY`. A BSDP reply names the request it answers, as in
/// `INFORM[LIST] 00:1f:5b:… MacBookPro8,1 → ACK[LIST] 3 images, default "Mojave" (0x81000010)`.
/// Keeps the last request per xid (at most ``capacity``) to do so.
public struct PacketLineFormatter: Sendable {
    public let capacity: Int
    private var requests: [UInt32: String] = [:]
    private var order: [UInt32] = []

    public init(capacity: Int = 1024) { self.capacity = max(1, capacity) }

    public mutating func line(_ record: PacketRecord) -> String {
        var text = "\(record.time.clockText) \(record.source) → \(record.destination) \(record.proto.rawValue)"
        let summary = self.summary(record)
        if !summary.isEmpty { text += " " + summary }
        if let error = record.error { text += " error: " + error }
        return text
    }

    mutating func summary(_ record: PacketRecord) -> String {
        if let dhcp = record.dhcp {
            let own = Self.dhcpSummary(dhcp, bsdp: record.bsdp)
            guard dhcp.op == .bootRequest else {
                if let request = requests[dhcp.xid] { return "\(request) → \(own) xid \(Self.xid(dhcp.xid))" }
                return "\(own) xid \(Self.xid(dhcp.xid))"
            }
            remember(dhcp.xid, own)
            return "\(own) xid \(Self.xid(dhcp.xid))"
        }
        if let tftp = record.tftp { return Self.tftpSummary(tftp) }
        if record.proto == .other, record.length > 0 { return "\(record.length) bytes" }
        return ""
    }

    private mutating func remember(_ xid: UInt32, _ text: String) {
        if requests.updateValue(text, forKey: xid) == nil { order.append(xid) }
        while order.count > capacity { requests.removeValue(forKey: order.removeFirst()) }
    }

    static func xid(_ value: UInt32) -> String { "0x" + HexText.padded(UInt64(value), digits: 8) }

    /// `DISCOVER 52:54:00:12:34:56` or, for BSDP, `INFORM[LIST] 00:1f:… MacBookPro8,1`,
    /// `ACK[LIST] 3 images, default "…" (0x81000010)`.
    static func dhcpSummary(_ message: DHCPMessage, bsdp: BSDPSummary?) -> String {
        var type = message.messageType.map { $0.name.map { String($0.dropFirst(4)) } ?? "TYPE\($0.rawValue)" }
            ?? (message.op == .bootRequest ? "BOOTREQUEST" : "BOOTREPLY")
        guard let bsdp else {
            let mac = message.clientMAC?.description ?? HexText.colon(message.hardwareAddress)
            var parts = message.op == .bootRequest ? [type, mac] : [type]
            if message.yiaddr.rawValue != 0 { parts.append("yiaddr \(message.yiaddr)") }
            if let file = message.bootFileName, !file.isEmpty { parts.append("file \"\(file)\"") }
            return parts.joined(separator: " ")
        }
        if let kind = bsdp.messageType { type += "[\(kind)]" } else if message.op == .bootReply { type += "*" }
        if message.op == .bootRequest {
            var parts = [type, message.clientMAC?.description ?? HexText.colon(message.hardwareAddress)]
            if let model = bsdp.vendorClass?.systemIdentifier { parts.append(model) }
            if let selected = bsdp.selectedImage { parts.append("image \(BSDPSummary.hex(selected))") }
            if let port = bsdp.replyPort { parts.append("reply-port \(port)") }
            return parts.joined(separator: " ")
        }
        switch bsdp.messageType {
        case .list?:
            var text = "\(type) \(bsdp.images.count) image\(bsdp.images.count == 1 ? "" : "s")"
            if let id = bsdp.defaultImage {
                let name = bsdp.images.first { $0.id == id }?.name
                text += ", default " + (name.map { "\"\($0)\" " } ?? "") + "(\(BSDPSummary.hex(id)))"
            }
            return text
        case .select?, nil:
            var parts = [type]
            if let id = bsdp.selectedImage { parts.append("image \(BSDPSummary.hex(id))") }
            if let file = message.bootFileName, !file.isEmpty { parts.append("file \"\(file)\"") }
            if let name = bsdp.machineName { parts.append("machine \"\(name)\"") }
            return parts.joined(separator: " ")
        case .failed?:
            return type
        }
    }

    static func tftpSummary(_ packet: TFTPPacket) -> String {
        switch packet {
        case .readRequest(let request), .writeRequest(let request):
            let options = request.options.map(\.description).joined(separator: " ")
            return "\(packet.opcode) \"\(request.filename)\" \(request.mode)" + (options.isEmpty ? "" : " " + options)
        case .data(let block, let payload):
            return "DATA block \(block) \(payload.count) bytes"
        case .acknowledgement(let block):
            return "ACK block \(block)"
        case .error(let code, let message):
            return "ERROR \(code.rawValue) \"\(message)\""
        case .optionAcknowledgement(let options):
            return "OACK " + options.map(\.description).joined(separator: " ")
        }
    }
}
