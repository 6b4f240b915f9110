import Synchronization
import TaskSequenceCore

/// Performs one kind of step. The runner calls `run` on a thread of its own, with the step's
/// properties expanded; the executor decides what the result means (success codes, retries,
/// continue on error). A driver never logs a secret property: it is given its value only to
/// pass on (stdin, a file), and `context.log` redacts every known secret value as well.
public protocol StepDriver: Sendable {
    func run(_ step: ResolvedStep, context: StepContext) -> DriverResult
}

/// What a driver reports back.
public enum DriverResult: Sendable, Equatable {
    /// The step's process (or the driver's work) ended with this status; 0 is success.
    case exited(Int32)
    /// The step could not be run (bad property, missing tool or package, checksum mismatch…):
    /// the message says why and holds no secret.
    case failed(String)
}

/// A step with its properties' `%VAR%` references expanded from the run's variables.
public struct ResolvedStep: Sendable {
    public var pointer: Int
    public var attempt: Int
    public var name: String
    public var type: StepType
    /// Expanded property values by key (lists joined with newlines are split back by
    /// `list(_:)`). Secret properties are present too; `secretKeys` names them.
    public var properties: [String: String]
    public var lists: [String: [String]]
    public var secretKeys: Set<String>

    public init(pointer: Int, attempt: Int, name: String, type: StepType, properties: [String: String],
                lists: [String: [String]] = [:], secretKeys: Set<String> = []) {
        self.pointer = pointer
        self.attempt = attempt
        self.name = name
        self.type = type
        self.properties = properties
        self.lists = lists
        self.secretKeys = secretKeys
    }

    public func flag(_ key: String) -> Bool? {
        properties[key].map { ["true", "yes", "1"].contains($0.lowercased()) }
    }
}

/// Where a driver runs and what it may use.
public struct StepContext: Sendable {
    /// `--images DIR`: disk images by name.
    public var imagesDirectory: String?
    /// `--packages DIR`: a package is a folder `DIR/NAME/`.
    public var packagesDirectory: String?
    /// The target system's root (where hostname and logs go); `/` when running inside it.
    public var targetRoot: String
    /// The `tsvar` executable, given to scripts as `PMM_TS_VARIABLE_UTIL`.
    public var variableUtility: String?
    /// The runner's `tsvar` socket, given to scripts as `NETBOOT_TSVAR_SOCKET`.
    public var variableSocket: String?
    /// Read the image back after writing and compare its SHA-256.
    public var verifyAfterWrite: Bool
    /// Shows what would run, changes nothing.
    public var dryRun: Bool
    /// A line for the executor log (redacted of secrets by the runner).
    public var log: @Sendable (String) -> Void
    /// Set when the step's timeout fired: stop as soon as possible.
    public var cancellation: Cancellation
    /// An image transfer's progress: raw bytes written, bytes per second, seconds left if
    /// known (the runner sends it to the bridge).
    public var progress: @Sendable (_ written: Int, _ rate: Int, _ eta: Int?) -> Void
    /// In a run through the bridge: where Capture Image sends the image (the appliance).
    public var imageUploader: (any ImageUploader)?

    public init(imagesDirectory: String? = nil, packagesDirectory: String? = nil, targetRoot: String = "/",
                variableUtility: String? = nil, variableSocket: String? = nil, verifyAfterWrite: Bool = false,
                dryRun: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in },
                cancellation: Cancellation = Cancellation(),
                progress: @escaping @Sendable (_ written: Int, _ rate: Int, _ eta: Int?) -> Void = { _, _, _ in },
                imageUploader: (any ImageUploader)? = nil) {
        self.imagesDirectory = imagesDirectory
        self.packagesDirectory = packagesDirectory
        self.targetRoot = targetRoot
        self.variableUtility = variableUtility
        self.variableSocket = variableSocket
        self.verifyAfterWrite = verifyAfterWrite
        self.dryRun = dryRun
        self.log = log
        self.cancellation = cancellation
        self.progress = progress
        self.imageUploader = imageUploader
    }
}

/// A flag a driver polls between chunks of work; the runner sets it when a timeout fires.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .releasing) }
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
}
