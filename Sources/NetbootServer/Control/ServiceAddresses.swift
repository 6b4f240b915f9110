import BootServices
import ControlProtocol
import NetbootConfig

/// Where each service of the configuration listens, as `status` shows it: `udp 198.51.100.1:67 (eth0)`,
/// `udp 198.51.100.1:69`, `tcp 198.51.100.1:80` (the same ``ListenAddresses`` the services bind),
/// `unix var/netboot.sock`.
enum ServiceAddresses {
    static func addresses(of name: String, _ c: NetbootConfiguration,
                          dhcpEndpoints: @autoclosure () -> [DHCPEndpoint]) -> [String] {
        switch name {
        case "dhcp":
            var ports = [c.dhcp.port]
            if c.dhcp.mode == .proxy { ports.append(Int(PXEResponder.proxyPort)) }
            return dhcpEndpoints().flatMap { endpoint in
                ports.map { "udp \(endpoint.address):\($0) (\(endpoint.name))" }
            }
        case "tftp":
            return ListenAddresses.resolve(listen: c.tftp.listen, interfaces: c.interfaces, from: NetworkInterface.all())
                .addresses.map { "udp \($0):\(c.tftp.port)" }
        case "http":
            return ListenAddresses.resolve(listen: c.http.listen, interfaces: c.interfaces, from: NetworkInterface.all())
                .addresses.map { "tcp \($0):\(c.http.port)" }
        case "control": return ["unix \(ControlSocketService.socketPath(stateDir: c.stateDir))"]
        default: return []
        }
    }

    /// The detail `status` shows beside a service.
    static func detail(of name: String, _ c: NetbootConfiguration) -> String? {
        switch name {
        case "dhcp": "mode \(c.dhcp.mode.rawValue)\(c.bsdp.enabled ? ", bsdp" : "")"
        default: nil
        }
    }
}
