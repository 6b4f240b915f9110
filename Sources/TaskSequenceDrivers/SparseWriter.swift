#if canImport(Glibc)
import Glibc
#endif
import CLinuxRunner

/// Writes a raw image stream to a file or block device, skipping blocks that are all zeros
/// where the target reads back zeros without them (a regular file, truncated first: the
/// skipped ranges become holes). A block device is written in full — its old content would
/// otherwise show through. Short writes, EINTR and "device full" are handled; a target
/// smaller than the image fails with a message that says so.
public final class SparseWriter {
    public static let blockSize = 4096
    /// Writeback is started for every window of this many bytes once it is written, and the
    /// window before it waited for (`sync_file_range`): the disk writes while the next data is
    /// decoded, instead of everything at the final fsync, and dirty pages stay bounded to about
    /// two windows.
    public static let writeBackWindow = 8 << 20

    public let path: String
    public let sparse: Bool
    public let isBlockDevice: Bool
    /// The device's size (block devices), to refuse an image that cannot fit.
    public let capacity: Int?
    private let descriptor: Int32
    public private(set) var offset = 0
    /// Bytes not written because they were zero blocks.
    public private(set) var skipped = 0
    /// Writeback has been started for `0..<writeBackStarted`.
    private var writeBackStarted = 0

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public init(path: String) throws(Failure) {
        self.path = path
        var status = stat()
        let exists = stat(path, &status) == 0
        isBlockDevice = exists && (status.st_mode & S_IFMT) == S_IFBLK
        if exists, !isBlockDevice, (status.st_mode & S_IFMT) != S_IFREG {
            throw Failure(description: "\(path) is neither a block device nor a regular file")
        }
        let flags = isBlockDevice ? O_WRONLY | O_CLOEXEC : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
        descriptor = open(path, flags, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        sparse = !isBlockDevice
        if isBlockDevice {
            let size = netboot_block_device_size(descriptor)
            capacity = size >= 0 ? Int(size) : nil
        } else {
            capacity = nil
        }
    }

    deinit { close(descriptor) }

    /// Writes `bytes` at the current offset.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        guard let base = bytes.baseAddress else { return }
        if let capacity, offset + bytes.count > capacity {
            throw Failure(description: "the image is larger than \(path) (\(capacity) bytes): target too small")
        }
        guard sparse else {
            try writeAll(base, bytes.count, at: offset)
            offset += bytes.count
            writeBack()
            return
        }
        // Runs of zero / non-zero blocks, aligned to the absolute offset.
        var position = 0
        while position < bytes.count {
            let blockEnd = min(bytes.count, position + (Self.blockSize - (offset + position) % Self.blockSize))
            let zero = Self.isZero(base + position, blockEnd - position)
            var runEnd = blockEnd
            while runEnd < bytes.count {
                let next = min(bytes.count, runEnd + Self.blockSize)
                guard Self.isZero(base + runEnd, next - runEnd) == zero else { break }
                runEnd = next
            }
            if zero {
                skipped += runEnd - position
            } else {
                try writeAll(base + position, runEnd - position, at: offset + position)
            }
            position = runEnd
        }
        offset += bytes.count
        writeBack()
    }

    /// Starts writeback of each full window behind `offset` and waits for the one before it.
    /// Only a hint to the kernel: an I/O error it meets is reported again by the final fsync.
    private func writeBack() {
        let window = Self.writeBackWindow
        while offset - writeBackStarted >= window {
            _ = netboot_write_back(descriptor, Int64(writeBackStarted), Int64(window), 0)
            if writeBackStarted >= window {
                _ = netboot_write_back(descriptor, Int64(writeBackStarted - window), Int64(window), 1)
            }
            writeBackStarted += window
        }
    }

    /// Sets a file's length (trailing zero blocks were skipped), flushes to stable storage,
    /// and, for a block device, asks the kernel to re-read its partition table.
    public func finish() throws(Failure) {
        if !isBlockDevice, ftruncate(descriptor, off_t(offset)) != 0 {
            throw Failure(description: "cannot set the length of \(path): \(String(cString: strerror(errno)))")
        }
        guard fsync(descriptor) == 0 else { throw Failure(description: "fsync \(path): \(String(cString: strerror(errno)))") }
        if isBlockDevice, netboot_reread_partitions(descriptor) != 0 {
            // Not fatal (a whole-disk image on a partition, or a busy disk): said in the log.
            throw Failure(description: "re-reading the partition table of \(path) failed: \(String(cString: strerror(errno)))")
        }
    }

    private func writeAll(_ base: UnsafeRawPointer, _ count: Int, at position: Int) throws(Failure) {
        var done = 0
        while done < count {
            let n = pwrite(descriptor, base + done, count - done, off_t(position + done))
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                if code == ENOSPC || code == EFBIG {
                    throw Failure(description: "\(path) is full after \(position + done) bytes: target too small")
                }
                throw Failure(description: "write \(path): \(String(cString: strerror(code)))")
            }
            if n == 0 { throw Failure(description: "\(path) is full after \(position + done) bytes: target too small") }
            done += n
        }
    }

    /// A block of zeros to compare with; written once here, only read after
    /// (`nonisolated(unsafe)`: a raw pointer is not `Sendable`, its memory never changes).
    nonisolated(unsafe) private static let zeroBlock: UnsafeRawPointer = {
        let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 4096)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: blockSize)
        return UnsafeRawPointer(block)
    }()

    /// Whether `count` bytes at `base` are all zero: `memcmp` with a zero block (libc's vector
    /// code), a block at a time; a non-zero block usually differs in its first bytes.
    static func isZero(_ base: UnsafeRawPointer, _ count: Int) -> Bool {
        var index = 0
        while index < count {
            let n = min(blockSize, count - index)
            if memcmp(base + index, zeroBlock, n) != 0 { return false }
            index += n
        }
        return true
    }
}
