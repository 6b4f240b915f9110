import BootServices
import ControlProtocol
import NetbootConfig

/// Where each service of the configuration listens, as `status` shows it: `udp 198.51.100.1:67 (eth0)`,
/// `udp 0.0.0.0:69`, `tcp 0.0.0.0:80`, `unix var/netboot.sock`.
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
        case "tftp": return ["udp 0.0.0.0:\(c.tftp.port)"]
        case "http": return ["tcp 0.0.0.0:\(c.http.port)"]
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
