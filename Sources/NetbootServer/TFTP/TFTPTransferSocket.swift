#if canImport(Glibc)
import Glibc
#endif
import CLinuxEvents
import NIOCore

/// One read transfer's own UDP socket (its transfer ID, RFC 1350 §4), used with plain system
/// calls on a ``TFTPTransferLoop`` thread: non-blocking, bound to the address the request
/// arrived on with an ephemeral port, never connected (a datagram from a foreign transfer ID
/// must still reach us, to be answered with ERROR 5).
struct TFTPTransferSocket: Sendable {
    enum OpenError: Error, CustomStringConvertible {
        case system(String, CInt)

        var description: String {
            switch self {
            case let .system(call, code): "\(call): \(String(cString: strerror(code)))"
            }
        }
    }

    let descriptor: CInt
    /// The client's transfer ID (address and port).
    let peer: TFTPSocketAddress
    /// Our end, as bound (for the flight recorder).
    let local: TFTPSocketAddress

    init(bindingTo local: SocketAddress, peer: SocketAddress) throws {
        let family = local.protocol.rawValue
        let fd = netboot_udp_socket(family)
        guard fd >= 0 else { throw OpenError.system("socket", errno) }
        let bound = local.withSockAddr { address, length in bind(fd, address, socklen_t(length)) }
        guard bound == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw OpenError.system("bind", code)
        }
        var own = TFTPSocketAddress()
        guard own.withMutablePointer({ getsockname(fd, $0, $1) }) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw OpenError.system("getsockname", code)
        }
        descriptor = fd
        self.peer = TFTPSocketAddress(peer)
        self.local = own
    }

    /// Sends one datagram to `to` (the peer unless given); returns 0 or the errno.
    func send(_ bytes: UnsafeRawBufferPointer, to address: TFTPSocketAddress? = nil) -> CInt {
        let target = address ?? peer
        let sent = target.withPointer { pointer, length in
            sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), pointer, length)
        }
        return sent < 0 ? errno : 0
    }

    /// Sends `bytes` as one `UDP_SEGMENT` write the kernel cuts into datagrams of
    /// `segmentSize` bytes (the last may be shorter); returns 0 or the errno.
    func sendSegmented(_ bytes: UnsafeRawBufferPointer, segmentSize: Int) -> CInt {
        var control: (UInt64, UInt64, UInt64) = (0, 0, 0)  // CMSG_SPACE(2) = 24, 8-aligned
        return withUnsafeMutableBytes(of: &control) { controlBytes -> CInt in
            let controlLength = netboot_udp_segment_cmsg(controlBytes.baseAddress, controlBytes.count,
                                                         UInt16(clamping: segmentSize))
            guard controlLength > 0 else { return EINVAL }
            var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
            let sent = peer.withPointer { pointer, length -> Int in
                withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(mutating: pointer)
                    message.msg_namelen = length
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlLength
                    return sendmsg(descriptor, &message, Int32(MSG_NOSIGNAL))
                }
            }
            return sent < 0 ? errno : 0
        }
    }

    /// Receives one datagram into `buffer`: its length and sender, or nil when none is waiting
    /// (or the socket reports an error such as an ICMP port unreachable, which is dropped).
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, source: TFTPSocketAddress)? {
        var source = TFTPSocketAddress()
        while true {
            let count = source.withMutablePointer { address, length in
                recvfrom(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC), address, length)
            }
            if count >= 0 { return (min(count, buffer.count), source) }
            if errno == EINTR { continue }
            return nil
        }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}

/// A socket address held by value (`sockaddr_storage`), compared by family, address and port.
struct TFTPSocketAddress: Sendable {
    private var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)

    init() {}

    init(_ address: SocketAddress) {
        address.withSockAddr { pointer, size in
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: min(size, raw.count)))
            }
            length = socklen_t(size)
        }
    }

    /// For calls that fill an address in (`recvfrom`, `getsockname`).
    mutating func withMutablePointer<Result>(
        _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Result
    ) -> Result {
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { storagePointer in
            withUnsafeMutablePointer(to: &length) { lengthPointer in
                storagePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, lengthPointer) }
            }
        }
    }

    func withPointer<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: storage) { storagePointer in
            storagePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// IPv4 address and port, for the flight recorder (nil for IPv6).
    var ipv4: (address: UInt32, port: UInt16)? {
        guard Int32(storage.ss_family) == AF_INET else { return nil }
        return withUnsafeBytes(of: storage) { raw in
            let v4 = raw.load(as: sockaddr_in.self)
            return (UInt32(bigEndian: v4.sin_addr.s_addr), UInt16(bigEndian: v4.sin_port))
        }
    }

    static func == (lhs: TFTPSocketAddress, rhs: TFTPSocketAddress) -> Bool {
        guard lhs.storage.ss_family == rhs.storage.ss_family else { return false }
        return withUnsafeBytes(of: lhs.storage) { a in
            withUnsafeBytes(of: rhs.storage) { b in
                switch Int32(lhs.storage.ss_family) {
                case AF_INET:
                    let x = a.load(as: sockaddr_in.self), y = b.load(as: sockaddr_in.self)
                    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr
                case AF_INET6:
                    let x = a.load(as: sockaddr_in6.self), y = b.load(as: sockaddr_in6.self)
                    return x.sin6_port == y.sin6_port
                        && withUnsafeBytes(of: x.sin6_addr) { p in withUnsafeBytes(of: y.sin6_addr) { q in p.elementsEqual(q) } }
                default:
                    return false
                }
            }
        }
    }
}

extension TFTPSocketAddress: Equatable {}
