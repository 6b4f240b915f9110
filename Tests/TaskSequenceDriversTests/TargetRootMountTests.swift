import Foundation
import Testing
@testable import TaskSequenceDrivers

/// Mounting the applied root after an apply (`TargetRootMount`): superblock probing, the
/// choice of the root among the partitions, the sysfs listing, and the refusals. The mount
/// itself runs in the lab's VM (Tests/Integration/test_lab_deploy.py).
@Suite struct TargetRootMountTests {
    private func header(_ patches: [(Int, [UInt8])]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: TargetRootMount.headerLength)
        for (offset, patch) in patches { bytes.replaceSubrange(offset..<(offset + patch.count), with: patch) }
        return bytes
    }

    @Test func superblocksAreRecognised() {
        #expect(TargetRootMount.filesystem(header: header([(1080, [0x53, 0xEF])])) == "ext4")
        #expect(TargetRootMount.filesystem(header: header([(0, Array("XFSB".utf8))])) == "xfs")
        #expect(TargetRootMount.filesystem(header: header([(65_600, Array("_BHRfS_M".utf8))])) == "btrfs")
        #expect(TargetRootMount.filesystem(header: header([(54, Array("FAT16".utf8)), (510, [0x55, 0xAA])])) == "vfat")
        #expect(TargetRootMount.filesystem(header: header([(82, Array("FAT32".utf8)), (510, [0x55, 0xAA])])) == "vfat")
        #expect(TargetRootMount.filesystem(header: header([])) == nil)
        #expect(TargetRootMount.filesystem(header: header([(1080, [0xEF, 0x53])])) == nil)  // wrong byte order
        // A short read (a tiny partition) is not read past its end.
        #expect(TargetRootMount.filesystem(header: [0x53, 0xEF]) == nil)
        #expect(TargetRootMount.filesystem(header: []) == nil)
    }

    @Test func aRealExt4IsRecognised() throws {
        let mke2fs = ["/usr/sbin/mke2fs", "/sbin/mke2fs"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let mke2fs else { return }  // e2fsprogs is in every Debian install; nothing to check without it
        let scratch = try Scratch()
        let image = scratch.path + "/root.ext4"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mke2fs)
        process.arguments = ["-q", "-F", "-t", "ext4", image, "4M"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(TargetRootMount.probe(image) == "ext4")
        #expect(TargetRootMount.probe(scratch.path + "/missing") == nil)
    }

    @Test func theLargestLinuxFilesystemIsTheRoot() {
        let esp = TargetRootMount.Partition(device: "/dev/vda1", number: 1, bytes: 16 << 20, filesystem: "vfat")
        let root = TargetRootMount.Partition(device: "/dev/vda2", number: 2, bytes: 200 << 20, filesystem: "ext4")
        let boot = TargetRootMount.Partition(device: "/dev/vda3", number: 3, bytes: 100 << 20, filesystem: "ext4")
        let data = TargetRootMount.Partition(device: "/dev/vda4", number: 4, bytes: 900 << 20, filesystem: nil)
        #expect(TargetRootMount.chooseRoot([esp, boot, root, data]) == root)
        #expect(TargetRootMount.chooseRoot([esp, data]) == nil)
        #expect(TargetRootMount.chooseRoot([]) == nil)
        var twin = root
        twin.device = "/dev/vda5"
        twin.number = 5
        #expect(TargetRootMount.chooseRoot([twin, root]) == root)
    }

    /// A sysfs tree like the kernel's: `vda/vda1/partition`, `vda/vda1/size` (512-byte sectors).
    private func sysfs(_ scratch: Scratch, device: String, partitions: [(String, Int, Int)]) throws -> String {
        let base = scratch.path + "/sys"
        try FileManager.default.createDirectory(atPath: "\(base)/\(device)/queue", withIntermediateDirectories: true)
        try "0\n".write(toFile: "\(base)/\(device)/size", atomically: true, encoding: .utf8)
        for (name, number, sectors) in partitions {
            try FileManager.default.createDirectory(atPath: "\(base)/\(device)/\(name)", withIntermediateDirectories: true)
            try "\(number)\n".write(toFile: "\(base)/\(device)/\(name)/partition", atomically: true, encoding: .utf8)
            try "\(sectors)\n".write(toFile: "\(base)/\(device)/\(name)/size", atomically: true, encoding: .utf8)
        }
        return base
    }

    @Test func partitionsComeFromSysfsInOrder() throws {
        let scratch = try Scratch()
        let base = try sysfs(scratch, device: "nvme0n1", partitions: [("nvme0n1p10", 10, 8), ("nvme0n1p2", 2, 2048), ("nvme0n1p1", 1, 4096)])
        let listed = TargetRootMount.partitions(of: "/dev/nvme0n1", sysfs: base)
        #expect(listed.map(\.device) == ["/dev/nvme0n1p1", "/dev/nvme0n1p2", "/dev/nvme0n1p10"])
        #expect(listed.map(\.bytes) == [4096 * 512, 2048 * 512, 8 * 512])
        #expect(TargetRootMount.partitions(of: "/dev/sdz", sysfs: base).isEmpty)
        #expect(TargetRootMount.partitions(of: "", sysfs: base).isEmpty)
    }

    @Test func noPartitionOrNoRootIsAClearFailure() throws {
        let scratch = try Scratch()
        let empty = try sysfs(scratch, device: "vdb", partitions: [])
        #expect(throws: TargetRootMount.Failure(description: "/dev/vdb has no partitions after the apply: no target root to mount")) {
            try TargetRootMount.mountRoot(of: "/dev/vdb", at: scratch.path + "/target", wait: 0, sysfs: empty)
        }
        // Partitions whose contents are an ESP and nothing known: listed in the message, nothing mounted.
        let base = try sysfs(scratch, device: "vda", partitions: [("vda1", 1, 2048), ("vda2", 2, 4096)])
        let devices = scratch.path + "/dev"
        try FileManager.default.createDirectory(atPath: devices, withIntermediateDirectories: true)
        try Data(header([(54, Array("FAT16".utf8)), (510, [0x55, 0xAA])])).write(to: URL(fileURLWithPath: devices + "/vda1"))
        try Data(header([])).write(to: URL(fileURLWithPath: devices + "/vda2"))
        #expect(throws: TargetRootMount.Failure(description: "no Linux root filesystem on /dev/vda (\(devices)/vda1 vfat 1 MiB, \(devices)/vda2 unknown 2 MiB): no target root to mount")) {
            try TargetRootMount.mountRoot(of: "/dev/vda", at: scratch.path + "/target", wait: 0, sysfs: base, devDirectory: devices)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/target"))
    }

    @Test func anExistingMountPointIsNotMountedOver() throws {
        let scratch = try Scratch()
        let base = try sysfs(scratch, device: "vda", partitions: [("vda1", 1, 4096)])
        let devices = scratch.path + "/dev"
        try FileManager.default.createDirectory(atPath: devices, withIntermediateDirectories: true)
        try Data(header([(1080, [0x53, 0xEF])])).write(to: URL(fileURLWithPath: devices + "/vda1"))
        // `/proc` is a mount point on every Linux system.
        #expect(throws: TargetRootMount.Failure(description: "/proc is already a mount point: not mounting \(devices)/vda1 over it")) {
            try TargetRootMount.mountRoot(of: "/dev/vda", at: "/proc", wait: 0, sysfs: base, devDirectory: devices)
        }
    }
}
