import Foundation

/// What the console port asks of the appliance the bridge stands beside (docs/bridge.md,
/// "Images and leases"): the served images as `netboot images list --json` shows them, a
/// rescan and a lease release. `netboot serve` and `netboot bridge` give the bridge one that
/// loads images with the appliance's own loader and reaches the running appliance through its
/// control socket (docs/control.md); the bridge itself knows neither. The calls block (disk,
/// DNS, the socket): the bridge makes them on NIO's blocking pool, never on a connection's thread.
public protocol ApplianceLink: Sendable {
    /// The images document (NetBoot, PXE and disk images, skipped folders with their reasons).
    func images() throws(ApplianceFailure) -> Data
    /// Asks the running appliance to rescan its images; its answer as a JSON object.
    func rescanImages() throws(ApplianceFailure) -> Data
    /// Releases the leases of a client (MAC) or one address; the released records as a JSON object.
    func releaseLease(_ lease: LeaseTarget) throws(ApplianceFailure) -> Data
    /// The running appliance's `status` (docs/control.md) as a JSON object: services and counts,
    /// among them `counts.tftpTransfersRunning` for the console's Overview.
    func status() throws(ApplianceFailure) -> Data
    /// `netboot explain --mac MAC [--model M] --json` without the boot decision: why the client
    /// is or is not offered each image, by the catalog's own decision over the served images.
    func explain(mac: String, model: String?) throws(ApplianceFailure) -> Data
    /// `capture.dump` (docs/control.md): the appliance writes its flight recorder to
    /// `capture.dir/flight-<unix ms>.pcap`; the answer is a JSON object with the file's name
    /// (`file`, no directory), `packets` in it and `recorded` since start.
    func dumpFlightRecorder() throws(ApplianceFailure) -> Data
    /// The interfaces the appliance serves (`interfaces`), the only ones a bounded capture may use.
    func captureInterfaces() -> [String]
    /// A bounded capture (``BoundedCapture``) written to `capture.dir/capture-<unix ms>.pcap`;
    /// blocks until its duration or packet count is reached. The answer as for
    /// ``dumpFlightRecorder()`` (`file`, `packets`). One at a time: a second is refused (409).
    func capture(_ request: BoundedCapture) throws(ApplianceFailure) -> Data
}

/// A capture the console starts: on one served interface, at most ``maxSeconds`` seconds and
/// ``maxPackets`` packets, with `netboot capture`'s default filter.
public struct BoundedCapture: Hashable, Sendable {
    public static let maxSeconds = 60
    public static let maxPackets = 100_000
    public var interface: String
    public var seconds: Int
    public var packets: Int

    /// Nil unless both bounds are within 1…``maxSeconds`` and 1…``maxPackets``.
    public init?(interface: String, seconds: Int, packets: Int) {
        guard (1...Self.maxSeconds).contains(seconds), (1...Self.maxPackets).contains(packets), !interface.isEmpty else { return nil }
        self.interface = interface
        self.seconds = seconds
        self.packets = packets
    }
}

extension ApplianceLink {
    /// A link that cannot reach the appliance's control socket (a remote appliance) has no status.
    public func status() throws(ApplianceFailure) -> Data {
        throw .unavailable("the appliance's status is read through its control socket, on its own host")
    }

    /// A link without the appliance's images (a remote appliance) cannot explain.
    public func explain(mac: String, model: String?) throws(ApplianceFailure) -> Data {
        throw .unavailable("images are explained on the appliance's own host (netboot explain --mac)")
    }

    /// A link without the control socket (a remote appliance) cannot dump its flight recorder.
    public func dumpFlightRecorder() throws(ApplianceFailure) -> Data {
        throw .unavailable("the flight recorder is dumped through the appliance's control socket, on its own host")
    }

    /// A remote appliance's interfaces cannot be captured from here.
    public func captureInterfaces() -> [String] { [] }

    public func capture(_ request: BoundedCapture) throws(ApplianceFailure) -> Data {
        throw .unavailable("captures run on the appliance's own host (netboot capture -i IFACE)")
    }
}

/// Which lease records a release names (the `{lease}` of `DELETE /v1/leases/{lease}`).
public enum LeaseTarget: Hashable, Sendable, CustomStringConvertible {
    /// Every record the client holds, `aa:bb:cc:dd:ee:ff`.
    case mac(String)
    /// One record, a dotted IPv4 address.
    case address(String)

    public var description: String {
        switch self {
        case .mac(let text), .address(let text): text
        }
    }
}

/// Why the appliance did not answer as asked; each maps to one HTTP status.
public enum ApplianceFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// No appliance runs for the bridge's state directory (no control socket answers): 503.
    case notRunning(String)
    /// Nothing to act on (no lease held by that client): 404.
    case notFound(String)
    /// The appliance cannot do it in its configuration (DHCP not authoritative, BSDP off): 409.
    case unavailable(String)
    /// The appliance tried and failed, or answered something unreadable: 502.
    case failed(String)

    public var description: String {
        switch self {
        case .notRunning(let text), .notFound(let text), .unavailable(let text), .failed(let text): text
        }
    }
}

/// The link of a bridge built without one: every call answers 503.
struct UnlinkedAppliance: ApplianceLink {
    private static let failure = ApplianceFailure.notRunning("this bridge is not linked to an appliance")
    func images() throws(ApplianceFailure) -> Data { throw Self.failure }
    func rescanImages() throws(ApplianceFailure) -> Data { throw Self.failure }
    func releaseLease(_ lease: LeaseTarget) throws(ApplianceFailure) -> Data { throw Self.failure }
}
