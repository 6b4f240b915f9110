/// The macOS command lines of the seed's steps, as argument vectors (no shell). Tested here
/// by their vectors; run on a Mac by the same `ChildProcess`. Secrets never go into a vector:
/// where the tool reads a password from stdin or a file, `stdin` carries it.
public enum MacCommands {
    public struct Invocation: Sendable, Equatable {
        public var executable: String
        public var arguments: [String]
        /// Bytes for the tool's standard input (a password), or nil.
        public var stdin: [UInt8]?

        public init(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil) {
            self.executable = executable
            self.arguments = arguments
            self.stdin = stdin
        }
    }

    /// Apply OS X Image (seed C12): `asr restore --source IMAGE --target VOLUME --erase --noprompt`.
    public static func applyImage(source: String, target: String, erase: Bool) -> [Invocation] {
        var arguments = ["restore", "--source", source, "--target", target]
        if erase { arguments.append("--erase") }
        arguments.append("--noprompt")
        return [Invocation("/usr/sbin/asr", arguments)]
    }

    /// Capture OS X Image: an image of the source disk (`hdiutil create -srcdevice`), then
    /// scanned for restore (`asr imagescan`).
    public static func captureImage(sourceDisk: String, output: String) -> [Invocation] {
        [Invocation("/usr/bin/hdiutil", ["create", "-srcdevice", sourceDisk, "-format", "UDZO", "-nocrossdev", output]),
         Invocation("/usr/sbin/asr", ["imagescan", "--source", output])]
    }

    /// Mounting a destination volume by name before later steps.
    public static func mountVolume(_ volume: String) -> Invocation {
        Invocation("/usr/sbin/diskutil", ["mount", volume])
    }

    /// Join Domain (seed C13): `dsconfigad -add DOMAIN -username ACCOUNT -ou OU -groups G1,G2
    /// -mobile enable -force`, then `-passinteractive`… dsconfigad reads the password from a
    /// prompt when `-password` is absent; with `-passinteractive` it comes from stdin.
    public static func joinDomain(domain: String, account: String, password: String, ou: String?,
                                  adminGroups: [String], mobileAccounts: Bool?) -> [Invocation] {
        var arguments = ["-add", domain, "-username", account]
        if let ou, !ou.isEmpty { arguments += ["-ou", ou] }
        arguments.append("-force")
        arguments.append("-passinteractive")
        var invocations = [Invocation("/usr/sbin/dsconfigad", arguments, stdin: Array((password + "\n").utf8))]
        if !adminGroups.isEmpty {
            invocations.append(Invocation("/usr/sbin/dsconfigad", ["-groups", adminGroups.joined(separator: ",")]))
        }
        if let mobileAccounts {
            invocations.append(Invocation("/usr/sbin/dsconfigad", ["-mobile", mobileAccounts ? "enable" : "disable"]))
        }
        return invocations
    }

    /// Set Hostname (seed C15): the three names macOS keeps. `LocalHostName` (Bonjour) only
    /// allows letters, digits and hyphens, so dots end it.
    public static func setHostname(_ name: String) -> [Invocation] {
        let local = String(name.split(separator: ".").first ?? Substring(name))
        return [Invocation("/usr/sbin/scutil", ["--set", "HostName", name]),
                Invocation("/usr/sbin/scutil", ["--set", "LocalHostName", local]),
                Invocation("/usr/sbin/scutil", ["--set", "ComputerName", name])]
    }

    /// Install Software (seed C14) for a `.pkg`: `installer -pkg PKG -target /`.
    public static func installPackage(_ package: String, target: String = "/") -> Invocation {
        Invocation("/usr/sbin/installer", ["-pkg", package, "-target", target])
    }
}
