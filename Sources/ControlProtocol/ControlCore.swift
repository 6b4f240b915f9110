import BootImages
import Foundation
import NetbootWire

/// What the appliance looks like at one moment, as the control socket's shell gathers it for
/// one request: the input of ``ControlCore``.
public struct ControlSnapshot: Sendable {
    public var version: String
    public var pid: Int
    public var configuration: String
    public var startedAt: Date
    public var now: Date
    public var services: [ServiceStatus]
    public var counts: ApplianceCounts
    /// `authoritative`, `proxy` or `off` (DHCP disabled).
    public var dhcpMode: String
    /// The lease records of authoritative mode (empty otherwise).
    public var leases: [LeaseEntry]
    /// The catalog the DHCP service serves (already redacted); nil when nothing serves one (BSDP off).
    public var catalog: ImageCatalog?
    public var flightRecorderEnabled: Bool

    public init(version: String, pid: Int, configuration: String, startedAt: Date, now: Date,
                services: [ServiceStatus], counts: ApplianceCounts, dhcpMode: String, leases: [LeaseEntry],
                catalog: ImageCatalog?, flightRecorderEnabled: Bool) {
        self.version = version
        self.pid = pid
        self.configuration = configuration
        self.startedAt = startedAt
        self.now = now
        self.services = services
        self.counts = counts
        self.dhcpMode = dhcpMode
        self.leases = leases
        self.catalog = catalog
        self.flightRecorderEnabled = flightRecorderEnabled
    }
}

/// Work the shell does for a request before it can answer (I/O the core does not do).
public enum ControlAction: Hashable, Sendable {
    /// Ask every catalog holder to rescan; answer with what changed.
    case rescanImages
    /// Mark these records released (in the store first, then in the lease engine).
    case releaseLeases([IPv4Address])
    /// Write the flight recorder to `capture.dir`.
    case dumpFlightRecorder
    /// Read and check the configuration file again, apply what can change live.
    case reloadConfiguration
}

/// How an action ended, handed back to the core for the reply.
public enum ControlActionOutcome: Hashable, Sendable {
    case rescanned(ImagesRescan)
    case released(LeaseRelease)
    case dumped(FlightRecorderDump)
    case reloaded(ConfigurationReload)
    case failed(ControlError)
}

/// The core's answer to a request: a reply now, or an action first.
public enum ControlStep: Hashable, Sendable {
    case reply(ControlReply)
    case perform(ControlAction)
}

/// The control socket's dispatch (docs/control.md): a decoded request and a snapshot in, a
/// reply or an action out; then the action's outcome in, the reply out. Pure: no I/O, time is
/// the snapshot's `now`.
public enum ControlCore {
    public static func handle(_ request: ControlRequest, snapshot: ControlSnapshot) -> ControlStep {
        let id = request.id
        switch request.command {
        case .status:
            return .reply(ControlReply(id: id, outcome: .status(status(snapshot))))
        case .imagesList:
            guard let catalog = snapshot.catalog else {
                return .reply(.error(id, ControlError(.unavailable,
                    "no service of this appliance holds an image catalog (bsdp is off); `netboot images list` scans the directory itself")))
            }
            return .reply(ControlReply(id: id, outcome: .images(catalog)))
        case .imagesRescan:
            guard snapshot.catalog != nil else {
                return .reply(.error(id, ControlError(.unavailable,
                    "no service of this appliance holds an image catalog (bsdp is off); nothing to rescan")))
            }
            return .perform(.rescanImages)
        case .leasesList:
            return .reply(ControlReply(id: id, outcome: .leases(LeaseListing(mode: snapshot.dhcpMode, leases: snapshot.leases))))
        case .leasesRelease(let selector):
            guard snapshot.dhcpMode == "authoritative" else {
                return .reply(.error(id, ControlError(.unavailable,
                    "this appliance leases no addresses (dhcp mode: \(snapshot.dhcpMode))")))
            }
            return leaseRelease(selector, leases: snapshot.leases, id: id)
        case .captureDump:
            guard snapshot.flightRecorderEnabled else {
                return .reply(.error(id, ControlError(.unavailable, "the flight recorder is off (capture.flight-recorder: 0)")))
            }
            return .perform(.dumpFlightRecorder)
        case .configReload:
            return .perform(.reloadConfiguration)
        }
    }

    /// The reply to `request` once its action ended.
    public static func reply(to request: ControlRequest, after outcome: ControlActionOutcome) -> ControlReply {
        switch outcome {
        case .rescanned(let value): ControlReply(id: request.id, outcome: .rescanned(value))
        case .released(let value): ControlReply(id: request.id, outcome: .released(value))
        case .dumped(let value): ControlReply(id: request.id, outcome: .dumped(value))
        case .reloaded(let value): ControlReply(id: request.id, outcome: .reloaded(value))
        case .failed(let error): .error(request.id, error)
        }
    }

    /// The reply to a line the decoder refused.
    public static func reply(to rejection: ControlRequestDecoder.Rejection) -> ControlReply {
        .error(rejection.id, rejection.error)
    }

    static func status(_ snapshot: ControlSnapshot) -> StatusReport {
        let uptime = snapshot.now.timeIntervalSince(snapshot.startedAt)
        return StatusReport(
            version: snapshot.version, pid: snapshot.pid, configuration: snapshot.configuration,
            startedAt: snapshot.startedAt.formatted(.iso8601),
            uptimeSeconds: uptime.isFinite && uptime > 0 ? Int(min(uptime, 1e15)) : 0,
            services: snapshot.services, counts: snapshot.counts)
    }

    /// A MAC frees every record its client holds; an address frees that one record. A record
    /// already released is not found.
    static func leaseRelease(_ selector: ControlRequest.LeaseSelector, leases: [LeaseEntry],
                             id: ControlRequestID?) -> ControlStep {
        switch selector {
        case .mac(let mac):
            let held = leases.filter { $0.mac == mac && $0.isHeld }.map(\.address)
            guard !held.isEmpty else {
                return .reply(.error(id, ControlError(.notFound, "no lease held by \(mac)")))
            }
            return .perform(.releaseLeases(held))
        case .address(let address):
            guard let lease = leases.first(where: { $0.address == address }) else {
                return .reply(.error(id, ControlError(.notFound, "no lease record for \(address)")))
            }
            guard lease.isHeld else {
                return .reply(.error(id, ControlError(.notFound, "\(address) is not held (already released)")))
            }
            return .perform(.releaseLeases([address]))
        }
    }
}
