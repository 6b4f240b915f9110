import NetbootWire

/// One DHCP/BSDP exchange: every message with one xid (RFC 2131 §4.4), in capture order.
public struct DHCPExchange: Hashable, Sendable {
    public var xid: UInt32
    public var client: String
    public var isBSDP: Bool
    public var steps: [String]
    public var servers: [String]
    public var first: PacketTime
    public var last: PacketTime

    /// `0x9b4e0557 d0:50:99:4e:05:57 dhcp DISCOVER → OFFER(198.51.100.50) → REQUEST → ACK(198.51.100.50) from 198.51.100.1 in 0.012 s`
    public var line: String {
        "\(PacketLineFormatter.xid(xid)) \(client) \(isBSDP ? "bsdp" : "dhcp") " + steps.joined(separator: " → ")
            + (servers.isEmpty ? ", no reply" : " from " + servers.joined(separator: ", "))
            + " in \(Conversations.seconds(first, last)) s"
    }
}

/// One TFTP transfer (RFC 1350 with the RFC 2347–2349 and 7440 options), followed from its
/// request: the file, the negotiated block and window size, the bytes and retransmissions.
public struct TFTPTransfer: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable, CustomStringConvertible {
        /// The last DATA was shorter than the block size.
        case complete
        /// An ERROR packet ended it.
        case error(code: UInt16, message: String)
        /// The capture ended before the last block.
        case incomplete

        public var description: String {
            switch self {
            case .complete: "complete"
            case .error(let code, let message): "error \(code) \"\(message)\""
            case .incomplete: "incomplete"
            }
        }
    }

    public var key: TFTPTransferKey
    public var serverPort: UInt16?
    public var isWrite = false
    public var file = ""
    public var mode = ""
    /// Options the client asked for.
    public var requested: [TFTPOption] = []
    /// Options the server accepted (OACK); nil when it sent none.
    public var accepted: [TFTPOption]?
    public var bytes = 0
    public var blocks = 0
    public var retransmits = 0
    public var first: PacketTime
    public var last: PacketTime
    public var outcome: Outcome = .incomplete
    var lastBlock: UInt16?
    var lastDataLength = 0
    var errorSeen = false

    /// The block size in force: the OACK's `blksize`, else RFC 1350's 512.
    public var blockSize: Int {
        accepted?.first { $0.key == TFTPOption.blockSize }.flatMap { Int($0.value) } ?? 512
    }

    /// The window size in force: the OACK's `windowsize` (RFC 7440), else 1.
    public var windowSize: Int {
        accepted?.first { $0.key == TFTPOption.windowSize }.flatMap { Int($0.value) } ?? 1
    }

    /// `tftp RRQ "pxelinux.0" 198.51.100.50:2070 ↔ 198.51.100.1:45100 blksize 1468 windowsize 1 bytes 26140 retransmits 0 duration 0.034 s complete`
    public var line: String {
        "tftp \(isWrite ? "WRQ" : "RRQ") \"\(file)\" \(key.client):\(key.clientPort) ↔ \(key.server):"
            + (serverPort.map(String.init) ?? "?")
            + " blksize \(blockSize) windowsize \(windowSize) bytes \(bytes) retransmits \(retransmits)"
            + " duration \(Conversations.seconds(first, last)) s \(outcome)"
    }
}

/// Groups decoded packets into exchanges and transfers for `netboot decode --conversations`
/// and the summary of `netboot capture`. Pure: records in, values out.
public struct Conversations: Sendable {
    public private(set) var exchanges: [DHCPExchange] = []
    public private(set) var transfers: [TFTPTransfer] = []
    public private(set) var packets = 0
    public private(set) var decodeErrors = 0
    public private(set) var clients: Set<String> = []
    private var exchangeIndex: [UInt32: Int] = [:]
    private var transferIndex: [TFTPTransferKey: Int] = [:]
    /// Addresses handed out (yiaddr), to count a TFTP client as the MAC that got its address.
    private var addressOwners: [IPv4Address: String] = [:]

    public init() {}

    public mutating func add(_ record: PacketRecord) {
        packets += 1
        if record.error != nil { decodeErrors += 1 }
        if let dhcp = record.dhcp { add(dhcp, record) }
        if let key = record.tftpTransfer { add(key, record) }
    }

    private mutating func add(_ message: DHCPMessage, _ record: PacketRecord) {
        let client = message.clientMAC?.description ?? HexText.colon(message.hardwareAddress)
        if message.op == .bootRequest { clients.insert(client) }
        if message.op == .bootReply, message.yiaddr.rawValue != 0 { addressOwners[message.yiaddr] = client }
        var step = PacketLineFormatter.dhcpSummary(message, bsdp: record.bsdp)
            .split(separator: " ").first.map(String.init) ?? "?"
        if message.op == .bootReply, message.yiaddr.rawValue != 0 { step += "(\(message.yiaddr))" }
        let index: Int
        if let known = exchangeIndex[message.xid] {
            index = known
        } else {
            index = exchanges.count
            exchangeIndex[message.xid] = index
            exchanges.append(DHCPExchange(xid: message.xid, client: client, isBSDP: false, steps: [], servers: [],
                                          first: record.time, last: record.time))
        }
        exchanges[index].steps.append(step)
        exchanges[index].last = max(exchanges[index].last, record.time)
        if record.bsdp != nil { exchanges[index].isBSDP = true }
        if message.op == .bootReply {
            let server = (try? message.value(.serverIdentifier)).flatMap { $0 }?.description
                ?? String(record.source.split(separator: ":").first ?? "?")
            if !exchanges[index].servers.contains(server) { exchanges[index].servers.append(server) }
        }
    }

    private mutating func add(_ key: TFTPTransferKey, _ record: PacketRecord) {
        guard let packet = record.tftp else { return }
        var index = transferIndex[key]
        switch packet {
        case .readRequest(let request), .writeRequest(let request):
            // A repeated request before any reply is a retransmission of the same request.
            if let known = index, transfers[known].serverPort == nil, transfers[known].file == request.filename {
                transfers[known].retransmits += 1
            } else {
                index = transfers.count
                transferIndex[key] = transfers.count
                var transfer = TFTPTransfer(key: key, first: record.time, last: record.time)
                if case .writeRequest = packet { transfer.isWrite = true }
                transfer.file = request.filename
                transfer.mode = request.mode.rawValue
                transfer.requested = request.options
                transfers.append(transfer)
                clients.insert(addressOwners[key.client] ?? key.client.description)
            }
        default:
            break
        }
        guard let i = index else { return }
        transfers[i].last = max(transfers[i].last, record.time)
        if record.tftpFromClient == false, transfers[i].serverPort == nil,
           let port = record.source.split(separator: ":").last.flatMap({ UInt16($0) }) {
            transfers[i].serverPort = port
        }
        switch packet {
        case .optionAcknowledgement(let options):
            transfers[i].accepted = options
        case .data(let block, let payload):
            transfers[i].addData(block: block, length: payload.count)
        case .error(let code, let message):
            transfers[i].outcome = .error(code: code.rawValue, message: message)
            transfers[i].errorSeen = true
        default:
            break
        }
        if !transfers[i].errorSeen {
            transfers[i].outcome = transfers[i].lastBlock != nil && transfers[i].lastDataLength < transfers[i].blockSize
                ? .complete : .incomplete
        }
    }

    /// One line per exchange, then one per transfer, each in order of first packet.
    public var lines: [String] { exchanges.map(\.line) + transfers.map(\.line) }

    /// `N packets, E exchanges, T transfers, C clients, D decode errors`. Clients are counted
    /// by MAC, a TFTP client by the MAC its address was handed to in the capture, else by address.
    public var summary: String {
        "\(packets) packets, \(exchanges.count) DHCP/BSDP exchanges, \(transfers.count) TFTP transfers, "
            + "\(clients.count) clients, \(decodeErrors) decode errors"
    }

    static func seconds(_ first: PacketTime, _ last: PacketTime) -> String {
        // Doubles: timestamps come from files and may be anything; no overflow trap.
        let seconds = max(0, (Double(last.seconds) - Double(first.seconds))
            + (Double(last.microseconds) - Double(first.microseconds)) / 1_000_000)
        let milliseconds = min((seconds * 1000).rounded(.down), 9e15)
        let whole = Int64(milliseconds / 1000)
        return "\(whole)." + PacketTime.pad(Int(milliseconds - Double(whole) * 1000), 3)
    }
}

extension TFTPTransfer {
    /// Counts a DATA block: the next block (mod 2^16, either rollover) adds bytes; any other
    /// block number is a retransmission.
    mutating func addData(block: UInt16, length: Int) {
        if let previous = lastBlock {
            let next = previous &+ 1
            let isNew = block == next || (previous == 0xFFFF && block == 1)
            guard isNew else {
                retransmits += 1
                return
            }
        } else if block != 1 {
            retransmits += 1
            return
        }
        lastBlock = block
        blocks += 1
        bytes += length
        lastDataLength = length
    }
}
