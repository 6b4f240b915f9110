import Foundation

/// Join Domain (seed C13, L4764-4792, L4926-4943), Linux: `realm join` (realmd). The password
/// goes to realm on stdin, never on the command line (`ps` shows argv to every user).
public struct JoinDomainDriver: StepDriver {
    public static let realm = "/usr/sbin/realm"

    public init() {}

    /// `realm join --unattended --user=ACCOUNT [--computer-ou=OU] DOMAIN` — no secret in it.
    public static func arguments(domain: String, account: String, ou: String?) -> [String] {
        var arguments = ["join", "--unattended", "--user=\(account)"]
        if let ou, !ou.isEmpty { arguments.append("--computer-ou=\(ou)") }
        arguments.append(domain)
        return arguments
    }

    public func run(_ step: ResolvedStep, context: StepContext) -> DriverResult {
        guard let domain = step.properties["domain"], !domain.isEmpty, !domain.hasPrefix("-") else { return .failed("no domain given") }
        guard let account = step.properties["account"], !account.isEmpty else { return .failed("no account given") }
        let password = step.properties["password"] ?? ""
        let arguments = Self.arguments(domain: domain, account: account, ou: step.properties["ou"])
        context.log("join domain: realm \(arguments.joined(separator: " ")) (password on stdin)")
        if context.dryRun { return .exited(0) }
        guard FileManager.default.isExecutableFile(atPath: Self.realm) else {
            return .failed("\(Self.realm) is not installed (apt install realmd)")
        }
        return ChildProcess.run(executable: Self.realm, arguments: arguments, stdin: Array((password + "\n").utf8), context: context)
    }
}
