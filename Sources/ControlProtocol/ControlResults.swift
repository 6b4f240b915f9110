import NetbootWire

/// `status`'s result: what runs, where, since when, and how much it has done. Never holds a
/// secret (no configuration values beyond the file's path, no root-path credentials).
public struct StatusReport: Hashable, Sendable, Codable {
    public var version: String
    public var pid: Int
    /// The configuration file `netboot serve` read, or `embedded defaults (… not found)`.
    public var configuration: String
    /// ISO 8601, UTC.
    public var startedAt: String
    public var uptimeSeconds: Int
    public var services: [ServiceStatus]
    public var counts: ApplianceCounts

    public init(version: String, pid: Int, configuration: String, startedAt: String, uptimeSeconds: Int,
                services: [ServiceStatus], counts: ApplianceCounts) {
        self.version = version
        self.pid = pid
        self.configuration = configuration
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.services = services
        self.counts = counts
    }
}

/// One service of the appliance's group.
public struct ServiceStatus: Hashable, Sendable, Codable {
    /// Its lifecycle as the service group sees it.
    public enum State: String, Hashable, Sendable, Codable {
        case starting, running, stopped, failed
    }

    public var name: String
    public var state: State
    /// Where it listens: `udp 198.51.100.1:67 (eth0)`, `tcp 0.0.0.0:80`, `unix var/netboot.sock`.
    public var addresses: [String]
    /// The mode or the error that stopped it.
    public var detail: String?

    public init(name: String, state: State, addresses: [String], detail: String? = nil) {
        self.name = name
        self.state = state
        self.addresses = addresses
        self.detail = detail
    }
}

/// The appliance's counters since it started (from its own metrics, `/metrics`).
public struct ApplianceCounts: Hashable, Sendable, Codable {
    /// Lease records held (authoritative mode); nil when this appliance leases nothing.
    public var leases: Int?
    /// Of those, bound and not expired.
    public var leasesActive: Int?
    /// DHCP/BSDP datagrams decided (`netboot_dhcp_exchanges_total`).
    public var dhcpExchanges: Int
    /// Of those, dropped (`decision="drop"`).
    public var dhcpDrops: Int
    /// TFTP transfers running now (`netboot_tftp_active_transfers`).
    public var tftpTransfersRunning: Int
    /// TFTP transfers finished (`netboot_tftp_transfers_total`).
    public var tftpTransfers: Int
    /// TFTP datagrams dropped (`netboot_tftp_drops_total`).
    public var tftpDrops: Int
    /// HTTP requests answered (`netboot_http_requests_total`).
    public var httpRequests: Int
    /// HTTP connections open now: image downloads in flight (`netboot_http_open_connections`).
    public var httpConnectionsOpen: Int
    /// Packets in the flight recorder now; nil when it is off.
    public var flightRecorderPackets: Int?

    public init(leases: Int? = nil, leasesActive: Int? = nil, dhcpExchanges: Int = 0, dhcpDrops: Int = 0,
                tftpTransfersRunning: Int = 0, tftpTransfers: Int = 0, tftpDrops: Int = 0, httpRequests: Int = 0,
                httpConnectionsOpen: Int = 0, flightRecorderPackets: Int? = nil) {
        self.leases = leases
        self.leasesActive = leasesActive
        self.dhcpExchanges = dhcpExchanges
        self.dhcpDrops = dhcpDrops
        self.tftpTransfersRunning = tftpTransfersRunning
        self.tftpTransfers = tftpTransfers
        self.tftpDrops = tftpDrops
        self.httpRequests = httpRequests
        self.httpConnectionsOpen = httpConnectionsOpen
        self.flightRecorderPackets = flightRecorderPackets
    }
}

/// One lease record as the control protocol shows it (`netboot leases list`'s columns).
public struct LeaseEntry: Hashable, Sendable, Codable {
    public var address: IPv4Address
    public var mac: MACAddress
    public var clientID: String
    public var hostname: String?
    /// `bound`, `expired` (bound, time ran out), `released` or `declined`.
    public var state: String
    /// ISO 8601, UTC.
    public var expires: String

    public init(address: IPv4Address, mac: MACAddress, clientID: String, hostname: String?, state: String, expires: String) {
        self.address = address
        self.mac = mac
        self.clientID = clientID
        self.hostname = hostname
        self.state = state
        self.expires = expires
    }

    /// Held: the address may go to no one else (bound, even past expiry until reused, or declined).
    public var isHeld: Bool { state != "released" }
}

/// `leases.list`'s result.
public struct LeaseListing: Hashable, Sendable, Codable {
    /// `authoritative`, `proxy` (no leases: someone else's DHCP assigns addresses) or `off`.
    public var mode: String
    public var leases: [LeaseEntry]

    public init(mode: String, leases: [LeaseEntry]) {
        self.mode = mode
        self.leases = leases
    }
}

/// `leases.release`'s result: the records as they are after the release.
public struct LeaseRelease: Hashable, Sendable, Codable {
    public var released: [LeaseEntry]

    public init(released: [LeaseEntry]) { self.released = released }
}

/// `images.rescan`'s result: the served catalog after the rescan and what changed.
public struct ImagesRescan: Hashable, Sendable, Codable {
    public var directory: String
    /// Enabled images now served.
    public var images: Int
    /// Folders skipped.
    public var skipped: Int
    /// The server's log lines for the change (`New image distributed: NAME`, …).
    public var changes: [String]

    public init(directory: String, images: Int, skipped: Int, changes: [String]) {
        self.directory = directory
        self.images = images
        self.skipped = skipped
        self.changes = changes
    }
}

/// `capture.dump`'s result: the pcap the server wrote.
public struct FlightRecorderDump: Hashable, Sendable, Codable {
    /// `capture.dir/flight-<unix ms>.pcap`, as the server names it (relative to its working directory
    /// when `capture.dir` is relative).
    public var path: String
    /// Absolute path of the same file.
    public var absolutePath: String
    public var packets: Int
    /// Packets recorded since start (the recorder keeps the last `capture.flight-recorder`).
    public var recorded: Int

    public init(path: String, absolutePath: String, packets: Int, recorded: Int) {
        self.path = path
        self.absolutePath = absolutePath
        self.packets = packets
        self.recorded = recorded
    }
}

/// `config.reload`'s result.
public struct ConfigurationReload: Hashable, Sendable, Codable {
    public var file: String
    /// Top-level sections whose values differ from the running ones (`dhcp`, `tftp`, `images-dir`, …).
    public var changed: [String]
    /// What the server applied at once (`images rescanned`).
    public var applied: [String]
    /// Changed sections that take effect only after a restart of `netboot serve`.
    public var restartNeeded: [String]
    /// Warnings the file gave (as `file:line:col: warning: …`).
    public var warnings: [String]

    public init(file: String, changed: [String], applied: [String], restartNeeded: [String], warnings: [String]) {
        self.file = file
        self.changed = changed
        self.applied = applied
        self.restartNeeded = restartNeeded
        self.warnings = warnings
    }
}
