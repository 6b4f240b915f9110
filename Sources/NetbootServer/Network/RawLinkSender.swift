#if canImport(Glibc)
import Glibc
#endif
import CLinuxPacket
import NetbootWire

/// Sends whole Ethernet frames on one interface through an `AF_PACKET` socket.
///
/// RFC 2131 §4.1: when a client has no address yet and did not set the broadcast bit, the
/// server "SHOULD unicast" the reply to the client's hardware address and `yiaddr`. The kernel
/// cannot route to an address the client does not yet hold (no ARP answer), so the reply is
/// framed by the caller (Ethernet II + IPv4 + UDP, `NetbootWire` frames) and sent here.
/// BSDP's OFFER* to a bound client's DISCOVER (`yiaddr` 0) goes the same way.
///
/// The socket is opened with protocol 0, so it receives nothing; sends are non-blocking and a
/// full socket buffer is reported, not waited on, so a flood cannot stall the caller.
public final class RawLinkSender: Sendable {
    public let interfaceName: String
    public let interfaceIndex: Int32
    private let fd: CInt

    public init(interfaceName: String) throws(SocketError) {
        let index = if_nametoindex(interfaceName)
        guard index != 0 else { throw SocketError("if_nametoindex", interfaceName) }
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", "AF_PACKET on \(interfaceName)") }
        self.interfaceName = interfaceName
        self.interfaceIndex = Int32(index)
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends one frame whose first six bytes are the destination MAC. Returns false when the
    /// kernel refused it (for example `EAGAIN` under load); the caller counts that as a drop.
    @discardableResult
    public func send(frame: [UInt8]) throws(SocketError) -> Bool {
        guard frame.count >= 14 else { throw SocketError("sendto", "frame shorter than an Ethernet header", errno: EINVAL) }
        var link = sockaddr_ll()
        link.sll_family = UInt16(AF_PACKET)
        link.sll_ifindex = interfaceIndex
        link.sll_halen = 6
        link.sll_protocol = UInt16(ETH_P_IP).bigEndian
        withUnsafeMutableBytes(of: &link.sll_addr) { destination in
            for i in 0..<6 { destination[i] = frame[i] }
        }
        let sent = frame.withUnsafeBytes { body in
            withUnsafePointer(to: &link) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, body.baseAddress, body.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                }
            }
        }
        if sent == frame.count { return true }
        if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS { return false }
        throw SocketError("sendto", "AF_PACKET on \(interfaceName)")
    }
}
