import NetbootWire
import Testing
@testable import NetbootServer

#if canImport(Glibc)
import Glibc
#endif

/// Where TFTP and HTTP listen (issue 14 item 1), and what a failed bind says.
@Suite struct ListenAddressesTests {
    let interfaces = [
        NetworkInterface(name: "lo", index: 1, hardwareAddress: nil,
                         ipv4: [.init(address: IPv4Address(127, 0, 0, 1), prefixLength: 8)], isUp: true, isLoopback: true),
        NetworkInterface(name: "eth0", index: 2, hardwareAddress: nil,
                         ipv4: [.init(address: IPv4Address(10, 0, 0, 2), prefixLength: 24),
                                .init(address: IPv4Address(10, 0, 1, 2), prefixLength: 24)], isUp: true, isLoopback: false),
        NetworkInterface(name: "mgmt0", index: 3, hardwareAddress: nil,
                         ipv4: [.init(address: IPv4Address(192, 0, 2, 1), prefixLength: 24)], isUp: true, isLoopback: false),
        NetworkInterface(name: "eth1", index: 4, hardwareAddress: nil, ipv4: [], isUp: true, isLoopback: false),
    ]

    @Test func everyAddressOfTheServedInterfacesNeverLoopbackByDefault() {
        let (addresses, problems) = ListenAddresses.resolve(listen: [], interfaces: [], from: interfaces)
        #expect(addresses == [IPv4Address(10, 0, 0, 2), IPv4Address(10, 0, 1, 2), IPv4Address(192, 0, 2, 1)])
        #expect(problems.isEmpty)
    }

    @Test func onlyTheNamedInterfaces() {
        let (addresses, problems) = ListenAddresses.resolve(listen: [], interfaces: ["eth0", "eth1", "eth9"], from: interfaces)
        #expect(addresses == [IPv4Address(10, 0, 0, 2), IPv4Address(10, 0, 1, 2)])
        #expect(problems == ["interface eth9 does not exist", "interface eth1 has no IPv4 address"])
    }

    @Test func anExplicitListWins() {
        let (addresses, problems) = ListenAddresses.resolve(listen: [IPv4Address(127, 0, 0, 1)], interfaces: ["eth0"],
                                                            from: interfaces)
        #expect(addresses == [IPv4Address(127, 0, 0, 1)] && problems.isEmpty)
    }

    @Test func listenErrorsNameServiceAddressReasonAndHint() {
        let taken = ListenError(service: "http", address: "0.0.0.0:80", port: 80, transport: "TCP", errnoCode: EADDRINUSE,
                                reason: String(cString: strerror(EADDRINUSE)))
        #expect(taken.description == "http: cannot listen on 0.0.0.0:80 (TCP): Address already in use; another program holds this port (`ss -tlnp 'sport = :80'` names it)")
        let denied = ListenError(service: "tftp", host: "10.0.0.2", port: 69, transport: "UDP",
                                 error: SocketError("bind", "10.0.0.2:69", errno: EACCES))
        #expect(denied.description.hasPrefix("tftp: cannot listen on 10.0.0.2:69 (UDP): Permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE"))
        let device = ListenError(service: "dhcp", host: "0.0.0.0", port: 67, interface: "eth0", transport: "UDP",
                                 error: SocketError("setsockopt", "SO_BINDTODEVICE eth0", errno: EPERM))
        #expect(device.description == "dhcp: cannot listen on 0.0.0.0:67 on eth0 (UDP): setsockopt SO_BINDTODEVICE eth0: Operation not permitted; binding to an interface needs root or CAP_NET_RAW")
        let high = ListenError(service: "http", address: "0.0.0.0:8080", port: 8080, transport: "TCP", errnoCode: EACCES,
                               reason: "Permission denied")
        #expect(high.hint == nil)
    }
}
