import BootServices
import BridgeCore
import Foundation
import Logging
import NetbootConfig
import NetbootStore
import NetbootWire
import TaskSequence

/// The boot decision of one machine from the bridge's store (issue 17 §3, docs/pxe.md "Boot
/// decisions"): its newest run, that run's events, and the console deployments made to its
/// collections since, handed to the pure ``BootDecision``. Used by the iPXE script route (through
/// ``BootSessions``) and by `netboot explain --mac`, so both say the same. Blocking: call it off
/// the event loop.
public struct BootDecisions: Sendable {
    let store: any BridgeRecords
    /// `bridge.inventory`: which collections a machine is in.
    let inventoryFile: String

    public init(store: any BridgeRecords, inventoryFile: String) {
        self.store = store
        self.inventoryFile = inventoryFile
    }

    public func decision(for mac: MACAddress) throws -> BootDecision {
        let text = mac.description
        guard try store.hasRunTables(), let run = try store.latestRun(mac: text) else {
            return BootDecision.decide(run: nil, events: [])
        }
        let events = try store.runEvents(id: run.id)
        let since = try store.deployments().filter { Self.milliseconds($0.createdAt) > run.startedAtMilliseconds }
        var deployments: [BootDecision.Deployment] = []
        if !since.isEmpty {
            // Only when some console deployment is newer than the run: read which collections
            // the machine is in (an unreadable inventory counts every collection, so a new
            // deployment sends the machine to the menu rather than strand it on its disk).
            let device = try store.device(mac: text)
            let machine = Inventory.Machine(mac: text, model: device?.model, serial: device?.serial)
            var collections: Set<String>?
            if let data = FileManager.default.contents(atPath: inventoryFile) {
                let (inventory, diagnostics) = Linter.inventory(data: data, file: inventoryFile)
                if !diagnostics.hasErrors { collections = Set(inventory.collections(for: machine).map(\.name)) }
            } else {
                collections = Set(Inventory().collections(for: machine).map(\.name))
            }
            deployments = since.filter { collections?.contains($0.collection) ?? true }.map {
                BootDecision.Deployment(sequence: $0.sequence, collection: $0.collection,
                                        createdAtMilliseconds: Self.milliseconds($0.createdAt))
            }
        }
        return BootDecision.decide(run: run, events: events, deployments: deployments)
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

/// What `netboot serve` decides for each `GET /boot/ipxe?mac=…` when the bridge runs in-process
/// (docs/pxe.md): the ``BootDecisions`` answer, logged; for the menu, with
/// `bridge.boot-enrollment`, a one-time enrollment token for that MAC on the kernel line
/// (`netboot.token=`, docs/bridge.md "Discovery"). The token is in the script only: the log line
/// names the decision, never the token.
public struct BootSessions: IPXEBootSessionSource {
    let decisions: BootDecisions
    let store: any BridgeRecords
    /// nil: no enrollment token in scripts (`bridge.boot-enrollment: false`).
    let tokenLifetime: TimeInterval?
    let logger: Logger
    let now: @Sendable () -> Date

    public init(store: any BridgeRecords, configuration: NetbootConfiguration, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        let bridge = configuration.bridge
        decisions = BootDecisions(store: store, inventoryFile: bridge.inventory)
        self.store = store
        tokenLifetime = bridge.bootEnrollment ? TimeInterval(bridge.bootEnrollmentTTL) : nil
        self.logger = logger
        self.now = now
    }

    public func session(for mac: MACAddress?) throws -> IPXEBootSession {
        guard let mac else { return IPXEBootSession() }
        let decision = try decisions.decision(for: mac)
        logger.info("boot decision for \(mac): \(decision.action.rawValue): \(decision.reason)")
        if decision.action == .localDisk { return IPXEBootSession(localBoot: decision.reason) }
        guard let tokenLifetime else { return IPXEBootSession() }
        let token = try store.issueBootToken(mac: mac.description, ttl: tokenLifetime, now: now())
        return IPXEBootSession(kernelArguments: ["netboot.token=" + token.text])
    }
}
