import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// After an image is applied to a block device, finds the applied system's root filesystem
/// among the device's partitions and mounts it at the run's target root, so the steps after
/// the apply (Set Hostname, the logs, whatever carries the runner onto the target for its
/// resume after the restart) write into the deployed system — the seed's "the rest of the
/// sequence works on the restored volume" (C12, L4751-4753; L5227-5233 for the logs).
///
/// The rule: the partitions of the device (sysfs, after the partition-table re-read), each
/// probed by its superblock; the largest one holding a Linux root filesystem (ext2/3/4, XFS,
/// Btrfs) is mounted. FAT (an EFI system partition) and unknown contents are never chosen.
public enum TargetRootMount {
    /// One partition of the applied device.
    public struct Partition: Equatable, Sendable {
        public var device: String
        public var number: Int
        public var bytes: Int
        public var filesystem: String?

        public init(device: String, number: Int, bytes: Int, filesystem: String?) {
            self.device = device
            self.number = number
            self.bytes = bytes
            self.filesystem = filesystem
        }
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Filesystems a Linux root can be on, as `mount(2)` names them.
    public static let rootFilesystems: Set<String> = ["ext4", "xfs", "btrfs"]
    /// Bytes of a partition's start `filesystem(header:)` needs.
    public static let headerLength = 65_600 + 8

    /// The filesystem whose superblock starts `header` (the partition's first bytes), or nil.
    /// ext2/3/4: magic 0xEF53 at 1080 (mounted by the ext4 driver); XFS: "XFSB" at 0; Btrfs:
    /// "_BHRfS_M" at 65600; FAT: "FAT" at 54 (FAT12/16) or 82 (FAT32) with 0x55AA at 510.
    public static func filesystem(header: [UInt8]) -> String? {
        func bytes(_ offset: Int, _ count: Int) -> [UInt8]? {
            offset + count <= header.count ? Array(header[offset..<(offset + count)]) : nil
        }
        if bytes(1080, 2) == [0x53, 0xEF] { return "ext4" }
        if bytes(0, 4) == Array("XFSB".utf8) { return "xfs" }
        if bytes(65_600, 8) == Array("_BHRfS_M".utf8) { return "btrfs" }
        if bytes(510, 2) == [0x55, 0xAA], bytes(54, 3) == Array("FAT".utf8) || bytes(82, 3) == Array("FAT".utf8) {
            return "vfat"
        }
        return nil
    }

    /// The partition to mount as the target root: the largest with a root filesystem; the
    /// lower number wins a tie.
    public static func chooseRoot(_ partitions: [Partition]) -> Partition? {
        partitions.filter { $0.filesystem.map(rootFilesystems.contains) ?? false }
            .sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.number < $1.number }
            .first
    }

    /// The partitions of block device `device` (`/dev/vda`) from `sysfs` (`/sys/class/block`),
    /// by number: `vda1`, `vda2`; `nvme0n1p1`; device paths under `devDirectory`.
    public static func partitions(of device: String, sysfs: String = "/sys/class/block",
                                  devDirectory: String = "/dev") -> [Partition] {
        let name = (device as NSString).lastPathComponent
        guard !name.isEmpty, let entries = try? FileManager.default.contentsOfDirectory(atPath: "\(sysfs)/\(name)") else { return [] }
        var found: [Partition] = []
        for entry in entries where entry.hasPrefix(name) && entry != name {
            let folder = "\(sysfs)/\(name)/\(entry)"
            guard let number = Int(read(folder + "/partition")) else { continue }
            let sectors = Int(read(folder + "/size")) ?? 0
            found.append(Partition(device: "\(devDirectory)/\(entry)", number: number, bytes: sectors * 512, filesystem: nil))
        }
        return found.sorted { $0.number < $1.number }
    }

    /// Probes the partitions of `device`, picks the root and mounts it at `targetRoot`
    /// (created when missing). Partition nodes appear shortly after the re-read (devtmpfs,
    /// udev): each is waited for up to `wait` seconds. Returns a line for the log.
    public static func mountRoot(of device: String, at targetRoot: String, wait: Double = 5,
                                 sysfs: String = "/sys/class/block", devDirectory: String = "/dev") throws(Failure) -> String {
        let deadline = Date().addingTimeInterval(wait)
        var listed = partitions(of: device, sysfs: sysfs, devDirectory: devDirectory)
        while listed.isEmpty, Date() < deadline {
            usleep(100_000)
            listed = partitions(of: device, sysfs: sysfs, devDirectory: devDirectory)
        }
        guard !listed.isEmpty else { throw Failure(description: "\(device) has no partitions after the apply: no target root to mount") }
        for index in listed.indices {
            while access(listed[index].device, F_OK) != 0, Date() < deadline { usleep(100_000) }
            listed[index].filesystem = probe(listed[index].device)
        }
        let summary = listed.map { "\($0.device) \($0.filesystem ?? "unknown") \($0.bytes / 1_048_576) MiB" }.joined(separator: ", ")
        guard let root = chooseRoot(listed) else {
            throw Failure(description: "no Linux root filesystem on \(device) (\(summary)): no target root to mount")
        }
        if isMountPoint(targetRoot) {
            throw Failure(description: "\(targetRoot) is already a mount point: not mounting \(root.device) over it")
        }
        if mkdir(targetRoot, 0o755) != 0, errno != EEXIST {
            throw Failure(description: "cannot create \(targetRoot): \(String(cString: strerror(errno)))")
        }
        guard let filesystem = root.filesystem, Glibc.mount(root.device, targetRoot, filesystem, 0, nil) == 0 else {
            throw Failure(description: "cannot mount \(root.device) (\(root.filesystem ?? "?")) at \(targetRoot): \(String(cString: strerror(errno)))")
        }
        return "mounted \(root.device) (\(filesystem)) at \(targetRoot) as the target root; partitions: \(summary)"
    }

    /// The filesystem at the start of `path`, or nil when it cannot be read or is unknown.
    public static func probe(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: headerLength)
        var filled = 0
        while filled < header.count {
            let n = header.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + filled, buffer.count - filled, off_t(filled))
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return filesystem(header: Array(header[0..<filled]))
    }

    /// Whether `path` is a mount point (its device differs from its parent's, or it is `/`).
    static func isMountPoint(_ path: String) -> Bool {
        var own = stat()
        var parent = stat()
        guard stat(path, &own) == 0, stat(path + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev || own.st_ino == parent.st_ino
    }

    private static func read(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
