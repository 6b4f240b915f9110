#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket bound to `0.0.0.0:port` on one interface only (`SO_BINDTODEVICE`), the way a
/// DHCP server must listen: clients without an address send to 255.255.255.255, so the socket
/// cannot bind to the interface's address, yet replies broadcast on it must leave through that
/// interface (RFC 2131 §4.1). `IP_PKTINFO` tells each datagram's destination address (broadcast
/// or unicast) and `SO_BROADCAST` allows broadcast replies. The descriptor is handed to SwiftNIO
/// with `DatagramBootstrap.withBoundSocket`.
///
/// The receive buffer is `receiveBuffer` bytes (default 4 MiB, about 3 000 requests at the
/// kernel's per-datagram accounting): the 208 KiB default held a few milliseconds of a mass
/// reboot's DISCOVERs, so any pause of the event loop longer than that dropped requests
/// (12 000 of 150 000 at 16 000 DORA/s in `scripts/bench/dhcp`). As root `SO_RCVBUFFORCE`
/// sets it past `net.core.rmem_max`; otherwise `SO_RCVBUF` is capped there. Best effort: a
/// refusal keeps the default.
public enum InterfaceUDPSocket {
    public static let defaultReceiveBuffer = 4 << 20

    public static func open(interface: String?, port: UInt16,
                            receiveBuffer: Int = defaultReceiveBuffer) throws(SocketError) -> CInt {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", "AF_INET, SOCK_DGRAM") }
        do throws(SocketError) {
            try setFlag(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR")
            try setFlag(fd, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST")
            try setFlag(fd, Int32(IPPROTO_IP), IP_PKTINFO, "IP_PKTINFO")
            if receiveBuffer > 0 {
                var bytes = CInt(clamping: receiveBuffer)
                let size = socklen_t(MemoryLayout<CInt>.size)
                if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, size) != 0 {
                    _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, size)
                }
            }
            if let interface {
                let result = interface.withCString { name in
                    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, socklen_t(strlen(name) + 1))
                }
                guard result == 0 else { throw SocketError("setsockopt", "SO_BINDTODEVICE \(interface)") }
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = INADDR_ANY
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw SocketError("bind", "0.0.0.0:\(port) on \(interface ?? "any")") }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    private static func setFlag(_ fd: CInt, _ level: Int32, _ option: Int32, _ name: String) throws(SocketError) {
        var one: CInt = 1
        guard setsockopt(fd, level, option, &one, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
            throw SocketError("setsockopt", name)
        }
    }
}
