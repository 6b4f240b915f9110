import TaskSequenceCore

/// Everything `netboot-runner resume` needs besides the secrets: the executor's journal and
/// the inputs the run was started with (paths and options, never a secret value).
public struct RunState: Sendable, Codable, Equatable {
    public var journal: Journal
    public var inputs: RunInputs

    public init(journal: Journal, inputs: RunInputs) {
        self.journal = journal
        self.inputs = inputs
    }
}

/// The options of `netboot-runner run` that a resume must use again.
public struct RunInputs: Sendable, Codable, Equatable {
    /// The sequence file (absolute path), compiled again on resume and checked against the
    /// journal's program fingerprint.
    public var sequenceFile: String
    public var inventoryFile: String?
    public var mac: String?
    /// A file of `NAME=VALUE` lines; read again on resume for sealed secrets.
    public var variableFile: String?
    public var imagesDirectory: String?
    public var packagesDirectory: String?
    public var rebootCommand: String?
    /// When the run started (run time, seconds since 1970).
    public var startedAt: Double

    public init(sequenceFile: String, inventoryFile: String? = nil, mac: String? = nil, variableFile: String? = nil,
                imagesDirectory: String? = nil, packagesDirectory: String? = nil, rebootCommand: String? = nil, startedAt: Double) {
        self.sequenceFile = sequenceFile
        self.inventoryFile = inventoryFile
        self.mac = mac
        self.variableFile = variableFile
        self.imagesDirectory = imagesDirectory
        self.packagesDirectory = packagesDirectory
        self.rebootCommand = rebootCommand
        self.startedAt = startedAt
    }
}
