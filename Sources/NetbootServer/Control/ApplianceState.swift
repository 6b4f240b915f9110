import BootEvents
import BootImages
import ControlProtocol
import Foundation
import NetbootConfig
import NetbootStore
import Synchronization

/// What a running `netboot serve` knows about itself, for the control socket: when it started,
/// from which file, each service's state and addresses, the DHCP service's lease engine and
/// store (for `leases.release`), and the image catalog it serves. Services report into it;
/// `ControlSocketService` reads it for every request. Thread-safe.
public final class ApplianceState: Sendable {
    public let startedAt: Date
    public let version: String
    /// The configuration file read at start (nil: the embedded defaults).
    public let configurationFile: String?
    /// How `status` names the configuration (`etc/netboot.yaml`, `embedded defaults (… not found)`).
    public let configurationOrigin: String
    /// The configuration the services run with.
    public let configuration: NetbootConfiguration

    private let services = Mutex<[ServiceStatus]>([])
    private let dhcp = Mutex<DHCPAttachment?>(nil)
    private let served = Mutex<ServedCatalog?>(nil)

    /// The DHCP service's lease engine and store, once it runs.
    struct DHCPAttachment: Sendable {
        let core: DHCPCoreBox
        let store: any LeaseStore
    }

    /// The catalog the DHCP service answers BSDP from, and how many scans produced it.
    public struct ServedCatalog: Sendable {
        public var catalog: ImageCatalog
        public var generation: Int
    }

    public init(version: String, configuration: NetbootConfiguration, configurationFile: String?,
                configurationOrigin: String, startedAt: Date = Date()) {
        self.version = version
        self.configuration = configuration
        self.configurationFile = configurationFile
        self.configurationOrigin = configurationOrigin
        self.startedAt = startedAt
    }

    // MARK: services

    /// Adds a service in state `starting` (in start order).
    public func register(_ name: String, addresses: [String], detail: String? = nil) {
        services.withLock { $0.append(ServiceStatus(name: name, state: .starting, addresses: addresses, detail: detail)) }
        BootServiceBoard.shared.update(BootServiceLine(name: name, state: "starting", addresses: addresses, detail: detail))
    }

    /// Moves a registered service to `state` (`detail` replaces the old one when given).
    public func mark(_ name: String, _ state: ServiceStatus.State, detail: String? = nil) {
        services.withLock { list in
            guard let index = list.firstIndex(where: { $0.name == name }) else { return }
            list[index].state = state
            if let detail { list[index].detail = detail }
            let status = list[index]
            BootServiceBoard.shared.update(BootServiceLine(name: status.name, state: status.state.rawValue,
                                                           addresses: status.addresses, detail: status.detail))
        }
    }

    public var serviceStatuses: [ServiceStatus] { services.withLock { $0 } }

    // MARK: DHCP

    func attach(core: DHCPCoreBox, store: any LeaseStore) {
        dhcp.withLock { $0 = DHCPAttachment(core: core, store: store) }
    }

    var dhcpAttachment: DHCPAttachment? { dhcp.withLock { $0 } }

    // MARK: catalog

    /// The DHCP service's catalog after a scan (stored redacted: nothing here may print a secret).
    public func publish(_ catalog: ImageCatalog) {
        served.withLock { current in
            current = ServedCatalog(catalog: catalog.redacted, generation: (current?.generation ?? 0) + 1)
        }
    }

    public var servedCatalog: ServedCatalog? { served.withLock { $0 } }
}
