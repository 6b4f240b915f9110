import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A service could not open one of its listening sockets: which service, which address and
/// port over which transport, the system's reason, and what to do about the usual ones
/// (issue 14 item 1). `netboot serve` stops every service started so far and prints it as
/// `netboot: not started: http: cannot listen on 0.0.0.0:80 (TCP): Address already in use; …`.
public struct ListenError: ServiceStartFailure, Equatable {
    /// `dhcp`, `tftp`, `http`.
    public var service: String
    /// `0.0.0.0:80`, or `0.0.0.0:67 on eth0` for an interface-bound socket.
    public var address: String
    /// `TCP` or `UDP`.
    public var transport: String
    /// The failed call's `errno`, when there was one.
    public var errnoCode: Int32?
    /// The system's text (`strerror`), or the error's own description.
    public var reason: String
    /// The port, for the hints.
    public var port: Int
    /// The failed call when it was not `bind` (`setsockopt SO_BINDTODEVICE`), for the hint.
    public var call: String?

    public init(service: String, address: String, port: Int, transport: String, errnoCode: Int32?, reason: String,
                call: String? = nil) {
        self.service = service
        self.address = address
        self.port = port
        self.transport = transport
        self.errnoCode = errnoCode
        self.reason = reason
        self.call = call
    }

    /// Wraps what a bind threw (SwiftNIO's `IOError`, our `SocketError`, anything else).
    public init(service: String, host: String, port: Int, interface: String? = nil, transport: String, error: any Error) {
        let address = "\(host):\(port)" + (interface.map { " on \($0)" } ?? "")
        switch error {
        case let error as ListenError:
            self = error
        case let error as IOError:
            self.init(service: service, address: address, port: port, transport: transport, errnoCode: error.errnoCode,
                      reason: String(cString: strerror(error.errnoCode)))
        case let error as SocketError:
            self.init(service: service, address: address, port: port, transport: transport, errnoCode: error.errnoCode,
                      reason: String(cString: strerror(error.errnoCode)),
                      call: error.call == "bind" ? nil : "\(error.call) \(error.detail)")
        default:
            self.init(service: service, address: address, port: port, transport: transport, errnoCode: nil,
                      reason: "\(error)")
        }
    }

    public var description: String {
        var text = "\(service): cannot listen on \(address) (\(transport)): "
        if let call { text += "\(call): " }
        text += reason
        if let hint { text += "; \(hint)" }
        return text
    }

    /// What to do, for the errors an admin meets on day one.
    public var hint: String? {
        switch errnoCode {
        case .some(EACCES), .some(EPERM):
            if let call, call.contains("SO_BINDTODEVICE") {
                return "binding to an interface needs root or CAP_NET_RAW"
            }
            return port < 1024
                ? "ports below 1024 need root or CAP_NET_BIND_SERVICE (setcap cap_net_bind_service,cap_net_raw+ep on the netboot binary)"
                : nil
        case .some(EADDRINUSE):
            return "another program holds this port (`ss -\(transport == "TCP" ? "t" : "u")lnp 'sport = :\(port)'` names it)"
        case .some(EADDRNOTAVAIL):
            return "no interface of this host has that address (check `\(service).listen` and `ip -4 addr`)"
        default:
            return nil
        }
    }
}
