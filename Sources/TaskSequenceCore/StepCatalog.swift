/// The step types of the seed's Task Sequence Editor for Macs (seed catalog §2.7, C10-C18),
/// with their properties and the built-in variables the properties are bound to (seed
/// L4567-4614, L4926-4949). The same table drives parsing, lint, plan and the JSON Schema.
public enum StepType: String, Sendable, CaseIterable, Codable {
    case applyImage, captureImage, joinDomain, installSoftware, setHostname, setVariables, runScript, restart
    /// "Install Parallels Mac Client": added automatically as the last step (seed L5214-5215).
    case installClient

    public var spec: StepTypeSpec { StepCatalog.spec(self) }
}

/// One property of a step type.
public struct PropertySpec: Sendable {
    public enum Kind: String, Sendable { case string, bool, stringList }

    public let key: String
    public let kind: Kind
    /// Must have a value: written, or through its bound variable.
    public let required: Bool
    /// The built-in variable the property is bound to: when the property is omitted, the step
    /// uses `%Variable%` (seed L4926-4949).
    public let variable: String?
    public let secret: Bool
    public let summary: String
    public let defaultValue: String?

    init(_ key: String, _ kind: Kind = .string, required: Bool = false, variable: String? = nil,
         secret: Bool = false, default defaultValue: String? = nil, _ summary: String) {
        self.key = key
        self.kind = kind
        self.required = required
        self.variable = variable
        self.secret = secret
        self.summary = summary
        self.defaultValue = defaultValue
    }
}

/// What a step type is and does.
public struct StepTypeSpec: Sendable {
    public let type: StepType
    /// The seed's "Add >" label.
    public let label: String
    public let summary: String
    public let properties: [PropertySpec]
    /// Runs a command whose exit code decides success: has `successCodes`, `timeout`, `retry`.
    public let commandLike: Bool
    /// Overwrites or erases the target volume.
    public let destructive: Bool
    /// Changes the installed system (so a later destructive step would undo it).
    public let changesTarget: Bool
    /// Seed lines that define it.
    public let seed: String
}

public enum StepCatalog {
    /// Step types an author may write (everything but the automatic last step).
    public static let authorable: [StepType] = StepType.allCases.filter { $0 != .installClient }

    /// Keys every step and group has.
    public static let commonKeys = ["type", "id", "name", "description", "disabled", "continueOnError", "condition"]
    /// Keys of command-like steps.
    public static let commandKeys = ["successCodes", "timeout", "retry"]
    /// Success codes when none are given (SCCM `successCodeList="0 3010"`).
    public static let defaultSuccessCodes: [Int32] = [0, 3010]
    /// The environment variable naming the variable utility for scripts (seed L5070).
    public static let variableUtilityEnvironment = "PMM_TS_VARIABLE_UTIL"

    public static func spec(_ type: StepType) -> StepTypeSpec {
        switch type {
        case .applyImage:
            return StepTypeSpec(type: type, label: "Apply OS X Image", summary: "Applies an OS X system image to the destination volume.",
                                properties: [
                                    PropertySpec("image", required: true, "the system image to apply (an image reference)"),
                                    PropertySpec("destination", default: "Macintosh HD", "the destination volume"),
                                    PropertySpec("erase", .bool, default: "true", "erase the destination volume before applying"),
                                ], commandLike: false, destructive: true, changesTarget: true, seed: "L4744-4762, L5188-5196")
        case .captureImage:
            return StepTypeSpec(type: type, label: "Capture OS X Image", summary: "Captures the source disk to an image on a network share.",
                                properties: [
                                    PropertySpec("share", required: true, variable: "OSDCaptureDestination", "network share for the image directory (\\\\server\\files)"),
                                    PropertySpec("directory", variable: "PmmOSDCaptureDestinationDir", "directory for the captured image"),
                                    PropertySpec("account", required: true, variable: "OSDCaptureAccount", "account that may write to the share"),
                                    PropertySpec("password", required: true, variable: "PmmOSDCaptureAccountPassword", secret: true, "the account's password"),
                                    PropertySpec("sourceDisk", variable: "PmmOSDSourceDisk", "device node of the source disk (/dev/disk0s2)"),
                                    PropertySpec("extent", default: "disk",
                                                 "how much of the source to read: disk (all of it) or partitions (up to the end of the last partition in its MBR or GPT)"),
                                ], commandLike: false, destructive: false, changesTarget: false, seed: "L4525-4614")
        case .joinDomain:
            return StepTypeSpec(type: type, label: "Join Domain", summary: "Joins the Mac to an Active Directory domain.",
                                properties: [
                                    PropertySpec("domain", required: true, variable: "OSDJoinDomainName", "the domain"),
                                    PropertySpec("ou", variable: "OSDJoinDomainOUName", "organizational unit"),
                                    PropertySpec("account", required: true, variable: "OSDJoinAccount", "account allowed to join the domain"),
                                    PropertySpec("password", required: true, variable: "PmmOSDJoinPassword", secret: true, "the account's password"),
                                    PropertySpec("adminGroups", .stringList, variable: "PmmOSDAdminGroups", "domain groups given administrative rights"),
                                    PropertySpec("mobileAccounts", .bool, variable: "PmmOSDCreateMobileAccounts", "create mobile accounts at login"),
                                ], commandLike: false, destructive: false, changesTarget: true, seed: "L4764-4792, L4926-4943")
        case .installSoftware:
            return StepTypeSpec(type: type, label: "Install Software", summary: "Silently installs a software package.",
                                properties: [
                                    PropertySpec("package", required: true, "the software package to install"),
                                ], commandLike: true, destructive: false, changesTarget: true, seed: "L4794-4834, L5211")
        case .setHostname:
            return StepTypeSpec(type: type, label: "Set Hostname", summary: "Sets the Mac's hostname.",
                                properties: [
                                    PropertySpec("hostname", required: true, variable: "OSDComputerName", "the hostname"),
                                ], commandLike: false, destructive: false, changesTarget: true, seed: "L4836-4857, L4945-4949")
        case .setVariables:
            return StepTypeSpec(type: type, label: "Set Variables", summary: "Sets task-sequence variables (each may be secret).",
                                properties: [], commandLike: false, destructive: false, changesTarget: false, seed: "L5030-5050")
        case .runScript:
            return StepTypeSpec(type: type, label: "Run Script", summary: "Runs a script from a package; PMM_TS_VARIABLE_UTIL is set for it.",
                                properties: [
                                    PropertySpec("package", required: true, "the package holding the script"),
                                    PropertySpec("script", required: true, "the script's path inside the package"),
                                    PropertySpec("arguments", .stringList, "arguments passed to the script"),
                                ], commandLike: true, destructive: false, changesTarget: false, seed: "L5052-5090")
        case .restart:
            return StepTypeSpec(type: type, label: "Restart", summary: "Restarts the Mac; the sequence continues after the restart.",
                                properties: [], commandLike: false, destructive: false, changesTarget: false, seed: "L5198-5216")
        case .installClient:
            return StepTypeSpec(type: type, label: "Install Parallels Mac Client", summary: "Installs the client and enrolls the Mac (added automatically as the last step).",
                                properties: [], commandLike: true, destructive: false, changesTarget: true, seed: "L5214-5215, L4342-4343")
        }
    }

    /// All keys a step of `type` accepts.
    public static func keys(for type: StepType) -> [String] {
        let spec = type.spec
        var keys = commonKeys + spec.properties.map(\.key)
        if spec.commandLike { keys += commandKeys }
        if type == .setVariables { keys.append("variables") }
        return keys
    }

    /// Every key that some step type or a group accepts, in catalog order: what a step whose
    /// type is unknown is checked against.
    public static let anyStepKeys: [String] = {
        var keys: [String] = []
        for type in StepType.allCases { keys += Self.keys(for: type).filter { !keys.contains($0) } }
        if !keys.contains("steps") { keys.append("steps") }
        return keys
    }()

    /// Resolves a written type: exact name, or nil.
    public static func type(named name: String) -> StepType? {
        StepType(rawValue: name)
    }

    /// A did-you-mean for an unknown type, matching names and the seed's labels.
    public static func suggestion(for name: String) -> String? {
        let squashed = name.lowercased().filter { $0.isLetter }
        for type in authorable {
            let label = type.spec.label.lowercased().filter { $0.isLetter }
            if squashed == label || squashed == type.rawValue.lowercased() || squashed == label.replacing("osx", with: "") {
                return type.rawValue
            }
        }
        return Suggestion.closest(to: name, among: authorable.map(\.rawValue) + ["group"])
    }

    /// Built-in variables bound to properties (`OSD*`, `Pmm*`): known names, no values until a
    /// collection, device or the sequence defines them (seed L4951-4952).
    public static let boundVariables: [String] = StepType.allCases.flatMap { $0.spec.properties.compactMap(\.variable) }

    /// Variables bound to secret properties: secret wherever they are defined.
    public static let secretVariables: Set<VariableName> = Set(StepType.allCases.flatMap {
        $0.spec.properties.filter(\.secret).compactMap(\.variable).map(VariableName.init)
    })
}

import Diagnostics
