import BridgeCore
import Foundation

/// The decisions about the bridge's records that every backend takes the same way
/// (``BridgeRecords``): pure functions of the rows a backend read inside its transaction. The
/// token check, report deduplication and retry schedule are in BridgeCore; these are the rest.
public enum BridgeRecordRules {
    /// Whether `record` (looked up by the presented digest) may enroll `mac` at `now`: a live
    /// token with the enroll scope, and an enrollment token minted for one machine (a boot
    /// script's) only for that one. The backend then spends it with a conditional write
    /// (`used_at IS NULL`), so that of two racing uses one wins.
    public static func enrollmentAdmits(_ record: TokenRecord?, mac: String, now: Date) -> TokenRecord? {
        guard let record, case .allowed = TokenCheck.evaluate(record, requires: .enroll, now: now) else { return nil }
        if record.role == .enrollment, let bound = record.deviceMAC, bound != mac { return nil }
        return record
    }

    /// The outbox event an enrollment queues for the upstream: its idempotency key and body.
    public static func enrollmentEvent(_ request: EnrollmentRequest, clientToken: TokenRecord) -> (key: String, body: Data) {
        let mac = request.mac.description
        let event = JSONValue.object([
            "kind": .string("enrollment"),
            "data": .object([
                "mac": .string(mac),
                "serial": request.serial.map(JSONValue.string) ?? .null,
                "model": request.model.map(JSONValue.string) ?? .null,
                "hostname": request.hostname.map(JSONValue.string) ?? .null,
                "os_version": request.osVersion.map(JSONValue.string) ?? .null,
            ]),
        ])
        return ("\(mac)/enroll/\(clientToken.id)", event.canonicalJSON)
    }

    /// The idempotency key of a relayed report.
    public static func reportKey(mac: String, sequence: Int64) -> String { "\(mac)/report/\(sequence)" }

    /// One step event: the same event again is acknowledged whatever happened to the run since
    /// (its answer was lost); a new one needs a running run of this device. `runState` is the
    /// state of the run with that id *and* this MAC, nil when there is none.
    public static func runEvent(stored: ReportDigest?, incoming: ReportDigest, runState: String?) -> RunEventAdmission {
        let admission = ReportAdmission.decide(stored: stored, incoming: incoming)
        guard admission == .store else { return .stored(admission) }
        guard let runState else { return .unknownRun }
        return runState == "running" ? .stored(.store) : .finished
    }

    /// Finishing a run: a running run takes the outcome (`write` true); the same outcome again
    /// answers the same; another is a conflict.
    public static func finish(_ run: RunRecord?, outcome: RunFinishRequest.Outcome,
                              atMilliseconds: Int64) -> (admission: RunFinishAdmission, write: Bool) {
        guard var run else { return (.unknownRun, false) }
        if run.state == "running" {
            run.state = outcome.rawValue
            run.finishedAtMilliseconds = atMilliseconds
            return (.finished(run), true)
        }
        return (run.state == outcome.rawValue ? .finished(run) : .conflict(run), false)
    }

    /// Revoking by public id: the id must be 12 hex digits; lower case is what is stored.
    public static func revocationID(_ id: String) -> String? {
        guard id.count == 12, id.allSatisfy(\.isHexDigit) else { return nil }
        return id.lowercased()
    }
}

/// One run event on its way into the store: the event, its run and the device it came from.
public struct RunEventSubmission: Sendable {
    public var event: RunEvent
    public var runID: String
    public var mac: String

    public init(event: RunEvent, runID: String, mac: String) {
        self.event = event
        self.runID = runID
        self.mac = mac
    }
}
