#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BootImages
import NetbootWire

/// Resolves an image host (indirect `RootPath`, `LoadBalanceServer`) to its first IPv4 address
/// through the system resolver, as Apple's bootpd does when it loads images. Used by
/// ``ServedImages`` for `netboot serve` and the CLI alike; the catalog core itself only accepts
/// literals. It blocks while the system resolver answers: call it off event loops.
public struct SystemHostResolver: HostResolving {
    public init() {}

    public func resolve(_ host: String) -> IPv4Address? {
        if let literal = IPv4Address(host) { return literal }
        guard !host.isEmpty, host.utf8.count < 254, !host.contains("\0") else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        // Any socket type: every entry carries the same address, and the first one is taken.
        hints.ai_socktype = 0
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        guard let address = first.pointee.ai_addr, first.pointee.ai_family == AF_INET else { return nil }
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
            IPv4Address(rawValue: UInt32(bigEndian: inet.pointee.sin_addr.s_addr))
        }
    }
}
