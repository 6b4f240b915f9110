import BridgeCore
import Foundation
import Logging
import NetbootConfig
import NetbootServer
import NetbootStore
import NetbootWire
import ProxyBridge

/// The boot decision part of `netboot explain --mac` (issue 17 §3, docs/pxe.md "Boot decisions"):
/// with `bridge.enabled`, what `netboot serve` would tell this machine's iPXE now — the menu or
/// its local disk — and why, from the run state in the bridge's records (`state-dir/bridge.sqlite`
/// opened read-only, or the PostgreSQL store), through the same ``BootDecisions`` the script
/// route uses.
extension ExplainCommand {
    /// nil when the bridge is off (every machine gets the menu; no run state is kept).
    static func readBootDecision(_ configuration: NetbootConfiguration, mac: MACAddress) throws -> BootDecision? {
        guard configuration.bridge.enabled else { return nil }
        if case .sqlite = configuration.store {
            let path = (configuration.stateDir as NSString).appendingPathComponent(BridgeStore.fileName)
            guard FileManager.default.fileExists(atPath: path) else { return BootDecision.decide(run: nil, events: []) }
        }
        let store = try ConfiguredStore.openBridgeRecords(configuration, migrate: false, logger: Logger(label: "netboot.store"))
        return try BootDecisions(store: store, inventoryFile: configuration.bridge.inventory).decision(for: mac)
    }

    /// The text lines: the action, then the reason.
    static func bootDecisionLines(_ decision: BootDecision) -> [String] {
        let action = decision.action == .localDisk ? "local disk (the iPXE script exits to the firmware's next boot device)"
            : "network (the boot menu)"
        return ["boot decision: \(action) [\(decision.basis.rawValue)]", "  because \(decision.reason)"]
    }

    /// `json` (an object) with a `boot_decision` member added.
    static func addingBootDecision(_ decision: BootDecision, to json: String) throws -> String {
        guard var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
        var entry: [String: Any] = ["action": decision.action.rawValue, "basis": decision.basis.rawValue, "reason": decision.reason]
        if let run = decision.run { entry["run"] = run }
        object["boot_decision"] = entry
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
