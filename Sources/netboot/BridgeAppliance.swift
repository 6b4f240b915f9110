import BootImages
import ControlProtocol
import Foundation
import NetbootConfig
import NetbootServer
import NetbootWire
import PacketCapture
import Synchronization
import ProxyBridge
import TaskSequence
import TaskSequenceDrivers

/// The bridge's ``ApplianceLink`` on the appliance's own host (docs/bridge.md, "Images and
/// leases"): images loaded by ``ServedImages`` exactly as `netboot images list --json` loads
/// them, and rescans and lease releases sent to the running `netboot serve` through its control
/// socket in `state-dir` — whether the bridge runs in that process (`bridge.enabled`) or beside
/// it (`netboot bridge`).
struct LocalAppliance: ApplianceLink {
    let configuration: NetbootConfiguration

    func images() throws(ApplianceFailure) -> Data {
        var scan = ServedImages.load(configuration)
        let catalog = scan.catalog
        scan.catalog = catalog.redacted
        let report = ImagesReport(scan: scan, diskImages: DiskImageCatalog.list(imagesDirectory: catalog.directory))
        do {
            return Data(try report.json().utf8)
        } catch {
            throw .failed("cannot encode the images: \(error)")
        }
    }

    func rescanImages() throws(ApplianceFailure) -> Data {
        switch try send(.imagesRescan).outcome {
        case .rescanned(let result): return try Self.encode(result)
        case .error(let error): throw Self.failure(error)
        default: throw .failed("unexpected reply to images.rescan")
        }
    }

    func releaseLease(_ lease: LeaseTarget) throws(ApplianceFailure) -> Data {
        let selector: ControlRequest.LeaseSelector
        switch lease {
        case .mac(let text):
            guard let mac = MACAddress(text) else { throw .failed("not a MAC address: \(text)") }
            selector = .mac(mac)
        case .address(let text):
            guard let address = IPv4Address(text) else { throw .failed("not an IPv4 address: \(text)") }
            selector = .address(address)
        }
        switch try send(.leasesRelease(selector)).outcome {
        case .released(let result): return try Self.encode(result)
        case .error(let error): throw Self.failure(error)
        default: throw .failed("unexpected reply to leases.release")
        }
    }

    /// The same explanation as `netboot explain --mac MAC --model M --json` (``ClientExplanation``
    /// over ``ServedImages`` and `bridge.inventory`), for the console's Client page.
    func explain(mac: String, model: String?) throws(ApplianceFailure) -> Data {
        guard let address = MACAddress(mac) else { throw .failed("not a MAC address: \(mac)") }
        let catalog = ServedImages.load(configuration).catalog
        if let problem = catalog.directoryError { throw .unavailable("images directory \(configuration.imagesDir): \(problem)") }
        let file = configuration.bridge.inventory
        // An unreadable or invalid inventory explains without collections, as `netboot explain` without --inventory.
        let read: (Inventory?, errors: String?) = Linter.inventory(data: FileManager.default.contents(atPath: file), file: file)
        let inventory = read.0
        let client = NetBootClient(mac: address, architecture: "i386", systemIdentifier: model, attributeFilter: nil)
        return Data(ClientExplanation(client: client, catalog: catalog, inventory: inventory).json.utf8)
    }

    func status() throws(ApplianceFailure) -> Data {
        switch try send(.status).outcome {
        case .status(let report): return try Self.encode(report)
        case .error(let error): throw Self.failure(error)
        default: throw .failed("unexpected reply to status")
        }
    }

    /// `capture.dump`; the file's name only (the console serves it from `capture.dir` itself).
    func dumpFlightRecorder() throws(ApplianceFailure) -> Data {
        switch try send(.captureDump).outcome {
        case .dumped(let dump):
            return try Self.encode(DumpAnswer(file: (dump.absolutePath as NSString).lastPathComponent, packets: dump.packets,
                                              recorded: dump.recorded))
        case .error(let error): throw Self.failure(error)
        default: throw .failed("unexpected reply to capture.dump")
        }
    }

    func captureInterfaces() -> [String] { configuration.interfaces }

    /// A bounded capture in this process, as `netboot capture -i IFACE -w FILE --duration S
    /// --count N` does it (``PcapHandle``, ``PcapDumpWriter``), into `capture.dir`.
    func capture(_ request: BoundedCapture) throws(ApplianceFailure) -> Data {
        guard configuration.interfaces.contains(request.interface) else {
            throw .notFound("\(request.interface) is not a served interface")
        }
        guard Self.capturing.withLock({ running in
            if running { return false }
            running = true
            return true
        }) else { throw .unavailable("a capture is already running: one at a time") }
        defer { Self.capturing.withLock { $0 = false } }
        let directory = configuration.capture.dir
        let name = "capture-\(Int64((Date().timeIntervalSince1970 * 1000).rounded())).pcap"
        let path = (directory as NSString).appendingPathComponent(name)
        var captured = 0
        do throws(CaptureError) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let handle = try PcapHandle.openLive(interface: request.interface)
            try handle.setFilter(CaptureCommand.defaultFilter)
            let writer = try PcapDumpWriter(path: path, dlt: handle.dlt, snapLength: handle.snapLength)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(request.seconds)
            while captured < request.packets, clock.now < deadline {
                let read = try handle.next(waitingAtMost: min(.milliseconds(100), max(.zero, deadline - clock.now)))
                if case .end = read { break }
                guard case .frame(let frame) = read else { continue }
                try writer.write(frame)
                captured += 1
            }
            try writer.close()
        } catch {
            throw .failed("capture on \(request.interface): \(error)")
        }
        return try Self.encode(DumpAnswer(file: name, packets: captured, recorded: captured))
    }

    /// Whether a bounded capture runs (one at a time, in this process).
    private static let capturing = Mutex(false)

    /// `dumpFlightRecorder`'s answer: the file's name, not its path.
    private struct DumpAnswer: Encodable {
        var file: String
        var packets: Int
        var recorded: Int
    }

    private func send(_ command: ControlRequest.Command) throws(ApplianceFailure) -> ControlReply {
        do {
            return try ControlConnection.send(command, stateDir: configuration.stateDir)
        } catch {
            switch error {
            case .notRunning: throw .notRunning("netboot serve is not running for this state dir")
            case .permissionDenied, .failed: throw .failed("the control socket: \(error)")
            }
        }
    }

    static func failure(_ error: ControlError) -> ApplianceFailure {
        switch error.code {
        case .notFound: .notFound(error.message)
        case .unavailable: .unavailable(error.message)
        default: .failed(error.message)
        }
    }

    static func encode(_ value: some Encodable) throws(ApplianceFailure) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return try encoder.encode(value)
        } catch {
            throw .failed("cannot encode the appliance's answer: \(error)")
        }
    }
}
