#if canImport(Glibc)
import Glibc
#endif
import Testing
import CLinuxPacket
import NetbootWire
@testable import NetbootServer

/// The raw sender and the per-interface UDP socket, tested against the kernel on loopback: a
/// frame sent through `AF_PACKET` on `lo` must cross the link byte-exact. (Delivery to a client
/// in another namespace is covered by the DHCP integration tests with real clients.)
@Suite struct RawLinkSenderTests {
    static var isRoot: Bool { geteuid() == 0 }

    @Test func loopbackIsEnumeratedWithItsAddress() {
        let interfaces = NetworkInterface.all()
        let lo = interfaces.first { $0.isLoopback }
        #expect(lo != nil)
        #expect(lo?.ipv4.contains { $0.address == IPv4Address(127, 0, 0, 1) && $0.prefixLength == 8 } == true)
        #expect(NetworkInterface.select(names: [], from: interfaces).selected.allSatisfy { !$0.isLoopback })
        #expect(NetworkInterface.select(names: ["no-such-if0"], from: interfaces).missing == ["no-such-if0"])
    }

    @Test func subnetMembership() {
        let net = NetworkInterface.IPv4Interface(address: IPv4Address(10, 1, 2, 3), prefixLength: 24)
        #expect(net.netmask == IPv4Address(255, 255, 255, 0))
        #expect(net.contains(IPv4Address(10, 1, 2, 200)))
        #expect(!net.contains(IPv4Address(10, 1, 3, 1)))
    }

    @Test(.enabled(if: RawLinkSenderTests.isRoot, "AF_PACKET needs root"))
    func frameSentOnLoopbackLeavesByteExact() throws {
        // A second packet socket on lo sees every frame that crosses it, outgoing included.
        let tap = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(UInt16(ETH_P_ALL).bigEndian))
        try #require(tap >= 0)
        defer { close(tap) }
        var link = sockaddr_ll()
        link.sll_family = UInt16(AF_PACKET)
        link.sll_protocol = UInt16(ETH_P_ALL).bigEndian
        link.sll_ifindex = Int32(if_nametoindex("lo"))
        let bound = withUnsafePointer(to: &link) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(tap, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(tap, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let frame = Self.frame(to: IPv4Address(127, 0, 0, 1), port: 9, payload: Array("netboot raw frame \(getpid())".utf8))
        let sender = try RawLinkSender(interfaceName: "lo")
        #expect(try sender.send(frame: frame))

        var seen = false
        var buffer = [UInt8](repeating: 0, count: 2048)
        for _ in 0..<200 where !seen {
            let count = recv(tap, &buffer, buffer.count, 0)
            if count <= 0 { break }
            seen = Array(buffer.prefix(count)) == frame
        }
        #expect(seen, "the frame did not cross lo byte-exact")
    }

    @Test(.enabled(if: RawLinkSenderTests.isRoot, "SO_BINDTODEVICE needs root"))
    func interfaceSocketBindsOnlyToKnownInterfaces() throws {
        let fd = try InterfaceUDPSocket.open(interface: "lo", port: 0)
        close(fd)
        #expect(throws: SocketError.self) { try InterfaceUDPSocket.open(interface: "no-such-if0", port: 0) }
    }

    /// The DHCP socket's receive buffer holds a burst (`InterfaceUDPSocket.defaultReceiveBuffer`;
    /// Linux reports twice what was set, its bookkeeping included).
    @Test(.enabled(if: RawLinkSenderTests.isRoot, "SO_BINDTODEVICE and SO_RCVBUFFORCE need root"))
    func interfaceSocketReceivesIntoALargeBuffer() throws {
        let fd = try InterfaceUDPSocket.open(interface: "lo", port: 0)
        defer { close(fd) }
        var bytes: CInt = 0
        var size = socklen_t(MemoryLayout<CInt>.size)
        #expect(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, &size) == 0)
        #expect(Int(bytes) >= InterfaceUDPSocket.defaultReceiveBuffer)
        let small = try InterfaceUDPSocket.open(interface: "lo", port: 0, receiveBuffer: 0)
        defer { close(small) }
        #expect(getsockopt(small, SOL_SOCKET, SO_RCVBUF, &bytes, &size) == 0)
        #expect(Int(bytes) < InterfaceUDPSocket.defaultReceiveBuffer, "0 keeps the system default")
    }

    @Test func shortFramesAreRefused() throws {
        guard Self.isRoot else { return }
        let sender = try RawLinkSender(interfaceName: "lo")
        #expect(throws: SocketError.self) { try sender.send(frame: [1, 2, 3]) }
    }

    /// Ethernet II + IPv4 + UDP (checksum 0: "no checksum", RFC 768) built by hand, so this
    /// test does not depend on the frame codec it exists to carry.
    static func frame(to destination: IPv4Address, port: UInt16, payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        let totalLength = 20 + 8 + payload.count
        var ip: [UInt8] = [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0]
        ip += IPv4Address(127, 0, 0, 1).bytes + destination.bytes
        var sum: UInt32 = 0
        for i in stride(from: 0, to: ip.count, by: 2) { sum += UInt32(ip[i]) << 8 | UInt32(ip[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xFF)
        let udpLength = 8 + payload.count
        let udp: [UInt8] = [0x9C, 0x40, UInt8(port >> 8), UInt8(port & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
        frame += ip + udp + payload
        return frame
    }
}
