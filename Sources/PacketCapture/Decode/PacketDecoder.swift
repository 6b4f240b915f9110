import NetbootWire

/// One frame as libpcap hands it over.
public struct CapturedFrame: Hashable, Sendable {
    public var time: PacketTime
    public var bytes: [UInt8]
    public var originalLength: Int

    public init(time: PacketTime, bytes: [UInt8], originalLength: Int? = nil) {
        self.time = time
        self.bytes = bytes
        self.originalLength = originalLength ?? bytes.count
    }
}

/// Decodes captured frames into ``PacketRecord``s: DHCP (RFC 2131) on ports 67/68/4011, BSDP
/// inside it (option 60 `AAPLBSDPC`, option 43), and TFTP (RFC 1350) on port 69 and on the
/// ephemeral ports its transfers move to (followed by ``TFTPTransferTracker``). Pure: frames in,
/// records out; a frame that does not decode gets an `error` and the next one is read as usual.
public struct PacketDecoder: Sendable {
    public let linkLayer: LinkLayer
    public var tracker: TFTPTransferTracker
    /// UDP ports whose datagrams are read as DHCP/BOOTP.
    public var dhcpPorts: Set<UInt16> = [67, 68, 4011]

    public init(linkLayer: LinkLayer = .ethernet, tftpPort: UInt16 = 69) {
        self.linkLayer = linkLayer
        self.tracker = TFTPTransferTracker(requestPort: tftpPort)
    }

    public mutating func decode(_ frame: CapturedFrame) -> PacketRecord {
        var record = PacketRecord(time: frame.time, length: frame.originalLength)
        let link: LinkLayer.Payload
        do {
            link = try linkLayer.payload(of: frame.bytes)
        } catch {
            record.error = "link layer: \(error)"
            return record
        }
        record.sourceMAC = link.source
        record.source = link.source?.description ?? "-"
        record.destination = link.destination?.description ?? "-"
        guard link.etherType == .ipv4 else { return record }
        let ip: IPv4Packet
        do {
            ip = try IPv4Packet(decoding: link.bytes)
        } catch {
            record.error = "ipv4: \(error)"
            return record
        }
        record.source = ip.source.description
        record.destination = ip.destination.description
        record.ipProtocol = ip.protocolNumber
        guard ip.protocolNumber == IPv4Packet.protocolUDP else {
            if ip.protocolNumber == IPv4Packet.protocolTCP, let ports = Self.tcpPorts(ip.payload), !ip.isFragment {
                record.source += ":\(ports.0)"
                record.destination += ":\(ports.1)"
            }
            return record
        }
        let udp: UDPDatagram
        do {
            udp = try UDPDatagram(decoding: ip)
        } catch {
            record.error = "udp: \(error)"
            return record
        }
        record.source += ":\(udp.sourcePort)"
        record.destination += ":\(udp.destinationPort)"
        if dhcpPorts.contains(udp.sourcePort) || dhcpPorts.contains(udp.destinationPort) {
            decodeDHCP(udp.payload, into: &record)
        } else if let key = tracker.classify(source: ip.source, sourcePort: udp.sourcePort,
                                             destination: ip.destination, destinationPort: udp.destinationPort) {
            record.proto = .tftp
            record.tftpTransfer = key
            record.tftpFromClient = key.client == ip.source && key.clientPort == udp.sourcePort
            do {
                record.tftp = try TFTPPacket(decoding: udp.payload)
            } catch {
                record.error = "tftp: \(error)"
            }
        }
        return record
    }

    private func decodeDHCP(_ payload: [UInt8], into record: inout PacketRecord) {
        record.proto = .dhcp
        let message: DHCPMessage
        do {
            message = try DHCPMessage(decoding: payload)
        } catch {
            record.error = "dhcp: \(error)"
            return
        }
        record.dhcp = message
        guard let vendorClass = message.data(for: .vendorClassIdentifier),
              BSDPVendorClass.hasBSDPPrefix(vendorClass) else { return }
        record.proto = .bsdp
        var summary = BSDPSummary(images: [])
        do {
            summary.vendorClass = try BSDPVendorClass.parse(vendorClass)
        } catch {
            record.error = "bsdp vendor class: \(error)"
        }
        let instances = message.instances(of: .vendorSpecificInformation)
        if !instances.isEmpty {
            do {
                let options = try BSDPOptions.decode(instances: instances)
                summary.messageType = options.messageType
                summary.images = options.bootImageList
                summary.selectedImage = options.selectedBootImage
                summary.defaultImage = options.defaultBootImage
                summary.serverPriority = options.serverPriority
                summary.replyPort = options.replyPort
                summary.attributesFilter = options.attributesFilterList
                summary.machineName = options.machineName
            } catch {
                record.error = "bsdp option 43: \(error)"
            }
        }
        record.bsdp = summary
    }

    private static func tcpPorts(_ payload: [UInt8]) -> (UInt16, UInt16)? {
        guard payload.count >= 4 else { return nil }
        return (UInt16(payload[0]) << 8 | UInt16(payload[1]), UInt16(payload[2]) << 8 | UInt16(payload[3]))
    }
}
