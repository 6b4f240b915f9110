import BootImages
import BootServices
import ControlProtocol
import Foundation
import Logging
import NetbootConfig
import NetbootStore
import NetbootWire
import Prometheus

/// The I/O side of the control socket: gathers a ``ControlSnapshot`` for ``ControlCore`` and
/// performs the actions it asks for (rescan, release, dump, reload). One per appliance, shared
/// by every connection.
final class ControlResponder: Sendable {
    let state: ApplianceState
    let metrics: PrometheusCollectorRegistry
    let flightRecorder: FlightRecorder
    let reloads: Reloads
    let logger: Logger
    /// How long `images.rescan` waits for the DHCP service's new catalog.
    let rescanTimeout: Duration

    init(state: ApplianceState, metrics: PrometheusCollectorRegistry, flightRecorder: FlightRecorder,
         reloads: Reloads, logger: Logger, rescanTimeout: Duration = .seconds(15)) {
        self.state = state
        self.metrics = metrics
        self.flightRecorder = flightRecorder
        self.reloads = reloads
        self.logger = logger
        self.rescanTimeout = rescanTimeout
    }

    // MARK: snapshot

    func snapshot(now: Date = Date()) -> ControlSnapshot {
        let c = state.configuration
        let records = state.dhcpAttachment?.core.leaseRecords ?? []
        let leases = records.map { Self.entry($0, now: now) }
        let reading = MetricsReading(text: metrics.emitToString())
        let authoritative = c.dhcp.enabled && c.dhcp.mode == .authoritative
        let counts = ApplianceCounts(
            leases: authoritative ? leases.count : nil,
            leasesActive: authoritative ? records.filter { $0.state == .bound && $0.expires > now }.count : nil,
            dhcpExchanges: reading.count(DHCPMetrics.exchangesLabel),
            dhcpDrops: reading.count(DHCPMetrics.exchangesLabel, matching: ["decision": "drop"]),
            tftpTransfersRunning: reading.count(TFTPMetrics.activeTransfersLabel),
            tftpTransfers: reading.count(TFTPMetrics.transfersLabel),
            tftpDrops: reading.count(TFTPMetrics.dropsLabel),
            httpRequests: reading.count(HTTPServerMetrics.requestsLabel),
            httpConnectionsOpen: reading.count(HTTPServerMetrics.openConnectionsLabel),
            flightRecorderPackets: flightRecorder.isEnabled ? flightRecorder.snapshot().entries.count : nil)
        return ControlSnapshot(
            version: state.version, pid: Int(getpid()), configuration: state.configurationOrigin,
            startedAt: state.startedAt, now: now, services: state.serviceStatuses, counts: counts,
            dhcpMode: c.dhcp.enabled ? c.dhcp.mode.rawValue : "off", leases: leases,
            catalog: state.servedCatalog?.catalog, flightRecorderEnabled: flightRecorder.isEnabled)
    }

    /// A lease record as the protocol shows it (`expired`: bound, time ran out).
    static func entry(_ lease: DHCPLease, now: Date) -> LeaseEntry {
        LeaseEntry(address: lease.address, mac: lease.mac, clientID: lease.clientID.description,
                   hostname: lease.hostname,
                   state: lease.state == .bound && lease.expires <= now ? "expired" : lease.state.rawValue,
                   expires: lease.expires.formatted(.iso8601))
    }

    // MARK: actions

    func perform(_ action: ControlAction) async -> ControlActionOutcome {
        switch action {
        case .rescanImages: await rescan()
        case .releaseLeases(let addresses): await release(addresses)
        case .dumpFlightRecorder: dump()
        case .reloadConfiguration: await reload()
        }
    }

    /// Asks the DHCP service to rescan (as SIGHUP does) and waits for the catalog it publishes.
    private func rescan() async -> ControlActionOutcome {
        let before = state.servedCatalog
        reloads.request(Reload(cause: .request("control socket")))
        let deadline = ContinuousClock.now.advanced(by: rescanTimeout)
        while ContinuousClock.now < deadline {
            if let after = state.servedCatalog, after.generation > (before?.generation ?? 0) {
                let change = CatalogChange(from: before?.catalog ?? ImageCatalog(directory: after.catalog.directory),
                                           to: after.catalog)
                return .rescanned(ImagesRescan(directory: after.catalog.directory, images: after.catalog.enabledImages.count,
                                               skipped: after.catalog.skippedFolders.count, changes: change.logLines))
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return .failed(ControlError(.failed, "the DHCP service did not finish the rescan within \(rescanTimeout)"))
    }

    /// Marks each record released in the store (committed first, as every lease write), then in
    /// the engine, so that the address is free for the next DISCOVER.
    private func release(_ addresses: [IPv4Address]) async -> ControlActionOutcome {
        guard let attachment = state.dhcpAttachment else {
            return .failed(ControlError(.unavailable, "the DHCP service is not running"))
        }
        let now = Date()
        let held = Dictionary(attachment.core.leaseRecords.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        let released: [DHCPLease] = addresses.compactMap { address in
            guard var lease = held[address], lease.state != .released else { return nil }
            lease.state = .released
            lease.expires = min(lease.expires, now)
            return lease
        }
        guard !released.isEmpty else {
            return .failed(ControlError(.notFound, "no lease held at \(addresses.map(\.description).joined(separator: ", "))"))
        }
        let store = attachment.store
        let outcome: Result<[LeaseCommitOutcome], any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { try store.commit(released, now: now) })
            }
        }
        switch outcome {
        case .failure(let error):
            logger.error("control: releasing \(released.map(\.address)) failed: \(error)")
            return .failed(ControlError(.failed, "the lease store refused the write: \(error)"))
        case .success(let outcomes):
            var done: [LeaseEntry] = []
            var refused: [String] = []
            for (lease, result) in zip(released, outcomes) {
                switch result {
                case .applied:
                    attachment.core.adopt([lease])
                    done.append(Self.entry(lease, now: now))
                    logger.info("control: lease released: \(lease.address) (\(lease.mac))")
                case .refused(let holder):
                    attachment.core.adopt([holder])
                    refused.append("\(lease.address) (held by \(holder.mac) in the store)")
                }
            }
            guard refused.isEmpty else {
                return .failed(ControlError(.failed, "the store holds another record for \(refused.joined(separator: ", "))"))
            }
            return .released(LeaseRelease(released: done))
        }
    }

    private func dump() -> ControlActionOutcome {
        let directory = state.configuration.capture.dir
        do {
            let written = try FlightRecorderService.write(flightRecorder, into: directory)
            logger.info("control: flight recorder written to \(written.path): \(written.packets) packets (of \(written.recorded) recorded)")
            let absolute = written.path.hasPrefix("/") ? written.path
                : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(written.path)
            return .dumped(FlightRecorderDump(path: written.path, absolutePath: absolute,
                                              packets: written.packets, recorded: written.recorded))
        } catch {
            logger.error("control: cannot write the flight recorder into \(directory): \(error)")
            return .failed(ControlError(.failed, "cannot write the flight recorder into \(directory): \(error)"))
        }
    }

    /// Reads the file again: errors refuse the reload (nothing changes); otherwise the catalog is
    /// rescanned and the changed sections are named — the services keep the configuration they
    /// started with until `netboot serve` restarts.
    private func reload() async -> ControlActionOutcome {
        guard let file = state.configurationFile else {
            return .failed(ControlError(.unavailable, "netboot serve runs on the embedded defaults; there is no file to reload"))
        }
        guard FileManager.default.fileExists(atPath: file) else {
            return .failed(ControlError(.notFound, "\(file) not found"))
        }
        let result = NetbootConfiguration.load(contentsOf: file)
        if result.hasErrors {
            let errors = result.diagnostics.filter { $0.severity == .error }.count
            logger.warning("control: config.reload refused: \(errors) error(s) in \(file)")
            return .failed(ControlError(.invalidConfiguration, "\(errors) error\(errors == 1 ? "" : "s") in \(file); nothing was applied",
                                        details: result.rendered))
        }
        let changed = result.configuration.changedKeys(from: state.configuration)
        var applied: [String] = []
        if state.servedCatalog != nil, case .rescanned(let rescan) = await rescan() {
            applied.append("images rescanned: \(rescan.images) image(s)")
        }
        let warnings = result.diagnostics.filter { $0.severity == .warning }
            .sorted { $0.location < $1.location }.map { $0.rendered(source: nil) }
        logger.info("control: config.reload of \(file): \(changed.isEmpty ? "no section changed" : "changed: \(changed.joined(separator: ", ")) (restart needed)")")
        return .reloaded(ConfigurationReload(file: file, changed: changed, applied: applied,
                                             restartNeeded: changed, warnings: warnings))
    }
}
