import Foundation
import Testing
@testable import TaskSequenceDrivers

@Suite struct HostnameTests {
    @Test func validNames() {
        for name in ["lab-42", "a", "web01.example.org", String(repeating: "a", count: 63)] { #expect(SetHostnameDriver.isValid(name), "\(name)") }
        for name in ["", "-a", "a-", "a..b", "a_b", "lab 42", "%OSDComputerName%", String(repeating: "a", count: 64), "é"] {
            #expect(!SetHostnameDriver.isValid(name), "\(name)")
        }
    }

    @Test func hostsLineIsReplacedOrAdded() {
        #expect(SetHostnameDriver.hosts("127.0.0.1\tlocalhost\n127.0.1.1\told\n", hostname: "new.lab") == "127.0.0.1\tlocalhost\n127.0.1.1\tnew.lab new\n")
        #expect(SetHostnameDriver.hosts("127.0.0.1\tlocalhost\n", hostname: "n") == "127.0.0.1\tlocalhost\n127.0.1.1\tn\n")
    }

    @Test func writesIntoTheTargetRoot() throws {
        let scratch = try Scratch()
        let step = ResolvedStep(pointer: 0, attempt: 1, name: "h", type: .setHostname, properties: ["hostname": "lab-42"])
        #expect(SetHostnameDriver().run(step, context: StepContext(targetRoot: scratch.path)) == .exited(0))
        #expect(try String(contentsOfFile: scratch.path + "/etc/hostname", encoding: .utf8) == "lab-42\n")
        let bad = ResolvedStep(pointer: 0, attempt: 1, name: "h", type: .setHostname, properties: ["hostname": "bad name"])
        guard case .failed = SetHostnameDriver().run(bad, context: StepContext(targetRoot: scratch.path)) else { Issue.record("accepted"); return }
    }
}

@Suite struct CommandVectorTests {
    @Test func realmJoinKeepsThePasswordOffTheCommandLine() {
        #expect(JoinDomainDriver.arguments(domain: "corp.example", account: "joiner", ou: "OU=Labs,DC=corp") ==
                ["join", "--unattended", "--user=joiner", "--computer-ou=OU=Labs,DC=corp", "corp.example"])
        #expect(JoinDomainDriver.arguments(domain: "d", account: "a", ou: nil) == ["join", "--unattended", "--user=a", "d"])
    }

    @Test func macOSVectors() {
        #expect(MacCommands.applyImage(source: "/Volumes/img/base.dmg", target: "/Volumes/Macintosh HD", erase: true) ==
                [.init("/usr/sbin/asr", ["restore", "--source", "/Volumes/img/base.dmg", "--target", "/Volumes/Macintosh HD", "--erase", "--noprompt"])])
        let join = MacCommands.joinDomain(domain: "corp", account: "joiner", password: "pw-123", ou: "OU=Macs",
                                          adminGroups: ["CORP\\admins", "CORP\\help"], mobileAccounts: true)
        #expect(join.map(\.arguments) == [["-add", "corp", "-username", "joiner", "-ou", "OU=Macs", "-force", "-passinteractive"],
                                          ["-groups", "CORP\\admins,CORP\\help"], ["-mobile", "enable"]])
        #expect(join.allSatisfy { !$0.arguments.joined().contains("pw-123") })
        #expect(join.first?.stdin == Array("pw-123\n".utf8))
        #expect(MacCommands.setHostname("mac01.lab").map(\.arguments) ==
                [["--set", "HostName", "mac01.lab"], ["--set", "LocalHostName", "mac01"], ["--set", "ComputerName", "mac01.lab"]])
        #expect(MacCommands.installPackage("/tmp/a.pkg") == .init("/usr/sbin/installer", ["-pkg", "/tmp/a.pkg", "-target", "/"]))
        #expect(MacCommands.captureImage(sourceDisk: "/dev/disk0s2", output: "/Volumes/share/cap.dmg").map(\.executable) == ["/usr/bin/hdiutil", "/usr/sbin/asr"])
        #expect(MacCommands.mountVolume("Macintosh HD").arguments == ["mount", "Macintosh HD"])
    }

    @Test func scriptPathsStayInsideThePackage() {
        #expect(PackageScriptDriver.isSafeRelativePath("bin/run.sh"))
        for path in ["/etc/passwd", "../x", "a/../../x", ""] { #expect(!PackageScriptDriver.isSafeRelativePath(path), "\(path)") }
        for name in ["..", ".", "a/b", ""] { #expect(!PackageScriptDriver.isSafeName(name), "\(name)") }
    }

    @Test func scriptRunsWithTheUtilityAndItsExitCode() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/p", withIntermediateDirectories: true)
        try "echo util=$PMM_TS_VARIABLE_UTIL\nexit 194\n".write(toFile: scratch.path + "/p/s.sh", atomically: true, encoding: .utf8)
        let lines = LogLines()
        let context = StepContext(packagesDirectory: scratch.path, variableUtility: "/x/tsvar", log: { lines.append($0) })
        let step = ResolvedStep(pointer: 0, attempt: 1, name: "s", type: .runScript, properties: ["package": "p", "script": "s.sh"])
        #expect(PackageScriptDriver().run(step, context: context) == .exited(194))
        #expect(lines.all.contains("| util=/x/tsvar"))
    }

    @Test func cancellationStopsAHangingScript() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path + "/p", withIntermediateDirectories: true)
        try "sleep 30\n".write(toFile: scratch.path + "/p/s.sh", atomically: true, encoding: .utf8)
        let cancellation = Cancellation()
        cancellation.cancel()
        let step = ResolvedStep(pointer: 0, attempt: 1, name: "s", type: .runScript, properties: ["package": "p", "script": "s.sh"])
        let result = PackageScriptDriver().run(step, context: StepContext(packagesDirectory: scratch.path, cancellation: cancellation))
        #expect(result == .failed("sh was killed by signal 15"))
    }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
