import Foundation

/// What the appliance tells a network-booting machine, decided by its deployment state as MAAS
/// does (issue 17 §3, docs/pxe.md "Boot decisions"): a machine whose current run has applied its
/// image boots its local disk, so the firmware's boot order can stay network-first; any other
/// machine gets the normal menu. Pure: the machine's newest run, that run's events and the
/// console deployments to its collections in, a decision and its reason out.
public struct BootDecision: Equatable, Sendable, Codable {
    public enum Action: String, Equatable, Sendable, Codable {
        /// The normal boot menu (or the machine's assigned image).
        case network
        /// "Boot from the local disk": iPXE `exit`, the firmware's next boot device.
        case localDisk = "local-disk"
    }

    /// Which rule applied; stable strings for `netboot explain --json` and tests.
    public enum Basis: String, Equatable, Sendable, Codable {
        /// No run for this machine: nothing deployed to it yet.
        case noRun = "no-run"
        /// The newest run failed: the menu again, not a half-written disk.
        case runFailed = "run-failed"
        /// The newest run is running and its image step has not succeeded yet.
        case imagePending = "image-pending"
        /// The newest run finished without an image step that succeeded: nothing known to boot.
        case noImageApplied = "no-image-applied"
        /// The newest run's image step succeeded (running or succeeded since): boot the disk.
        case imageApplied = "image-applied"
        /// The image was applied, but a sequence was deployed to the machine since that run
        /// started: back to the network to run it.
        case newDeployment = "new-deployment"
    }

    /// A console deployment to one of the machine's collections, and when it was made.
    public struct Deployment: Equatable, Sendable, Codable {
        public var sequence: String
        public var collection: String
        public var createdAtMilliseconds: Int64

        public init(sequence: String, collection: String, createdAtMilliseconds: Int64) {
            self.sequence = sequence
            self.collection = collection
            self.createdAtMilliseconds = createdAtMilliseconds
        }
    }

    /// The step type whose success means the disk holds a bootable system (`applyImage`).
    public static let imageStepType = "applyImage"

    public var action: Action
    public var basis: Basis
    /// One sentence for logs and `netboot explain`.
    public var reason: String
    /// The run the decision rests on, if any.
    public var run: String?

    public init(action: Action, basis: Basis, reason: String, run: String? = nil) {
        self.action = action
        self.basis = basis
        self.reason = reason
        self.run = run
    }

    /// The decision for a machine whose newest run is `run` (nil: it has none) with `events`,
    /// given the console `deployments` to its collections.
    public static func decide(run: RunRecord?, events: [RunEvent], deployments: [Deployment] = []) -> BootDecision {
        guard let run else {
            return BootDecision(action: .network, basis: .noRun, reason: "no run for this machine: the boot menu")
        }
        let view = RunView.fold(run, events: events, nowMilliseconds: run.finishedAtMilliseconds ?? run.startedAtMilliseconds)
        let title = "run \(run.id) of '\(run.sequence)'"
        if run.state == "failed" {
            let failed = view.steps.last { $0.state == "failed" }
            let detail = failed.map { step in " at step '\(step.name)'" + (step.message.map { ": \($0)" } ?? "") } ?? ""
            return BootDecision(action: .network, basis: .runFailed,
                                reason: "\(title) failed\(detail): the boot menu again, not the disk", run: run.id)
        }
        guard let image = view.steps.last(where: { $0.type == imageStepType && $0.state == "success" }) else {
            if run.state == "running" {
                return BootDecision(action: .network, basis: .imagePending,
                                    reason: "\(title) is running and its image step has not succeeded: the boot menu", run: run.id)
            }
            return BootDecision(action: .network, basis: .noImageApplied,
                                reason: "\(title) \(run.state) without applying an image: the boot menu", run: run.id)
        }
        if let newer = deployments.filter({ $0.createdAtMilliseconds > run.startedAtMilliseconds })
            .max(by: { $0.createdAtMilliseconds < $1.createdAtMilliseconds }) {
            return BootDecision(action: .network, basis: .newDeployment,
                                reason: "'\(newer.sequence)' was deployed to \(newer.collection) after \(title) started: the boot menu",
                                run: run.id)
        }
        let state = run.state == "running" ? "is running (it resumes from the disk)" : "\(run.state)"
        return BootDecision(action: .localDisk, basis: .imageApplied,
                            reason: "\(title) applied its image (step '\(image.name)') and \(state): boot from the local disk until a new deployment",
                            run: run.id)
    }
}
