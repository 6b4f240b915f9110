import Foundation
import NetbootWire
import PacketCapture
import Synchronization

/// The server's flight recorder (issue 7): the last N packets the DHCP/BSDP and TFTP services
/// received and sent, kept in memory so that `netboot debug dump-packets` can write them as a
/// pcap after the fact. Services feed it with one tap call per packet; N is
/// `capture.flight-recorder` (0 turns it off, and then a tap costs one branch).
public final class FlightRecorder: Sendable {
    public enum Direction: String, Sendable {
        case received, sent
    }

    /// One recorded packet: an Ethernet frame (as sent or received on the link, or rebuilt
    /// around a UDP payload with placeholder MAC addresses when the service saw a datagram).
    public struct Entry: Hashable, Sendable {
        public var time: PacketTime
        public var direction: Direction
        public var interface: String
        var content: Content

        /// The frame; a datagram's is built when it is read, not on the service's hot path.
        public var frame: [UInt8] {
            switch content {
            case .frame(let frame): frame
            case .datagram(let d): d.frame(direction) ?? []
            }
        }
    }

    enum Content: Hashable, Sendable {
        case frame([UInt8])
        case datagram(Datagram)
    }

    /// A UDP datagram and its addresses, as the socket saw them.
    struct Datagram: Hashable, Sendable {
        var payload: [UInt8]
        var source: IPv4Address, sourcePort: UInt16
        var destination: IPv4Address, destinationPort: UInt16

        /// Ethernet/IPv4/UDP around the payload (MACs 02:00:00:00:00:01 for the server side,
        /// 02:00:00:00:00:02 for the peer); nil when it does not fit one IPv4 packet.
        func frame(_ direction: Direction) -> [UInt8]? {
            let server = MACAddress(rawValue: 0x0200_0000_0001), peer = MACAddress(rawValue: 0x0200_0000_0002)
            return try? UDPFrame.encode(sourceMAC: direction == .sent ? server : peer,
                                        destinationMAC: direction == .sent ? peer : server,
                                        source: source, destination: destination, sourcePort: sourcePort,
                                        destinationPort: destinationPort, payload: payload)
        }
    }

    public let capacity: Int
    private let ring: Mutex<Ring>

    private struct Ring {
        var entries: [Entry] = []
        var next = 0
        var total = 0
    }

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        ring = Mutex(Ring())
    }

    public var isEnabled: Bool { capacity > 0 }

    /// Records a whole Ethernet frame (the raw link-layer path).
    public func record(frame: [UInt8], direction: Direction, interface: String, time: PacketTime = .now) {
        record(.frame(frame), direction: direction, interface: interface, time: time)
    }

    private func record(_ content: Content, direction: Direction, interface: String, time: PacketTime) {
        guard capacity > 0 else { return }
        let entry = Entry(time: time, direction: direction, interface: interface, content: content)
        ring.withLock { ring in
            if ring.entries.count < capacity {
                ring.entries.append(entry)
            } else {
                ring.entries[ring.next] = entry
            }
            ring.next = (ring.next + 1) % capacity
            ring.total += 1
        }
    }

    /// Records a UDP datagram as the socket saw it: rebuilt as Ethernet/IPv4/UDP between
    /// `source` and `destination` (MACs 02:00:00:00:00:01 for the server side and
    /// 02:00:00:00:00:02 for the peer; a datagram too big for one IPv4 packet is skipped).
    public func record(datagram payload: [UInt8], source: IPv4Address, sourcePort: UInt16,
                       destination: IPv4Address, destinationPort: UInt16, direction: Direction,
                       interface: String, time: PacketTime = .now) {
        // The largest payload one IPv4 packet carries (65 535 − 20 − 8); the frame is built on read.
        guard capacity > 0, payload.count <= 65_507 else { return }
        record(.datagram(Datagram(payload: payload, source: source, sourcePort: sourcePort, destination: destination,
                                  destinationPort: destinationPort)),
               direction: direction, interface: interface, time: time)
    }

    /// The packets held, oldest first, and how many were recorded in all.
    public func snapshot() -> (entries: [Entry], total: Int) {
        ring.withLock { ring in
            let ordered = ring.entries.count < capacity ? ring.entries
                : Array(ring.entries[ring.next...] + ring.entries[..<ring.next])
            return (ordered, ring.total)
        }
    }

    /// The held packets as a classic pcap file (LINKTYPE_ETHERNET, microseconds).
    public func pcap() -> [UInt8] {
        PcapFile(records: snapshot().entries.map { entry in
            PcapRecord(seconds: UInt32(truncatingIfNeeded: entry.time.seconds),
                       fraction: UInt32(truncatingIfNeeded: entry.time.microseconds), data: entry.frame)
        }).encoded()
    }
}

extension PacketTime {
    /// The wall-clock time now (for the services' taps).
    public static var now: PacketTime {
        let interval = Date().timeIntervalSince1970
        let seconds = interval.rounded(.down)
        return PacketTime(seconds: Int64(seconds), microseconds: Int32((interval - seconds) * 1_000_000))
    }
}
