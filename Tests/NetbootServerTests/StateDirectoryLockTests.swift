import Foundation
import Testing
@testable import NetbootServer

#if canImport(Glibc)
import Glibc
#endif

/// One server per state directory (issue 14 item 1): `flock` on `state-dir/netboot.lock`.
@Suite struct StateDirectoryLockTests {
    func temporaryDirectory() -> String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("nb-lock-\(UUID().uuidString)")
    }

    @Test func aSecondHolderIsRefusedWithTheFirstOnesPid() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(StateDirectoryLock.holder(stateDir: directory) == .nobody)
        let first = try StateDirectoryLock.acquire(stateDir: directory + "/var")
        #expect(StateDirectoryLock.holder(stateDir: directory + "/var") == .server(pid: getpid()))
        // flock(2) locks belong to the open file description: a second open conflicts even here.
        #expect(throws: StateDirectoryLock.Failure.held(path: directory + "/var/netboot.lock", pid: getpid())) {
            try StateDirectoryLock.acquire(stateDir: directory + "/var")
        }
        withExtendedLifetime(first) {}
    }

    @Test func aLeftoverFileWithAStalePidIsNoServer() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "1\n".write(toFile: StateDirectoryLock.path(stateDir: directory), atomically: true, encoding: .utf8)
        #expect(StateDirectoryLock.holder(stateDir: directory) == .nobody)
        let lock = try StateDirectoryLock.acquire(stateDir: directory)
        #expect(try String(contentsOfFile: lock.path, encoding: .utf8) == "\(getpid())\n")
    }

    @Test func anUnusableStateDirectorySaysWhy() {
        #expect(throws: StateDirectoryLock.Failure.unusable(
            path: "/proc/nb-no/netboot.lock",
            reason: "cannot create the state directory /proc/nb-no: No such file or directory")) {
            try StateDirectoryLock.acquire(stateDir: "/proc/nb-no")
        }
    }
}
