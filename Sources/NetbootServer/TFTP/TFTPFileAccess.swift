#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BootServices
import NetbootWire

/// A file opened for one transfer: a descriptor read in large chunks, or (netascii) the
/// converted bytes in memory. The descriptor is closed by the transfer that owns it.
struct TFTPOpenedFile: Sendable {
    enum Source: Sendable {
        case descriptor(CInt)
        case memory([UInt8])
    }

    var source: Source
    /// Length of the byte stream the transfer sends.
    var size: UInt64
    /// The real path (after symlinks), for the log line.
    var path: String

    func close() {
        if case .descriptor(let fd) = source { _ = Glibc.close(fd) }
    }
}

/// An upload in progress: a hidden temporary file next to its final name.
struct TFTPUploadFile: Sendable {
    var descriptor: CInt
    var temporaryPath: String
    var finalPath: String
}

/// The file-system side of TFTP, run on the thread pool (never on an event loop): resolving a
/// mapped path inside the root with `realpath` (so a symlink leading out of the root is
/// refused), opening once, and chunked `pread`s.
enum TFTPFileAccess {
    typealias Refusal = TFTPPathMapping.Refusal

    /// `realpath` of a directory, or nil.
    static func realDirectory(_ path: String) -> String? {
        guard let resolved = resolve(path) else { return nil }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return resolved
    }

    static func resolve(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    static func isInside(_ path: String, root: String) -> Bool {
        root == "/" ? path.hasPrefix("/") : path.hasPrefix(root + "/")
    }

    /// Opens `relativePath` under `root` (already a real path) for reading.
    static func openForReading(root: String, relativePath: String, mode: TFTPMode,
                               maxNetasciiSize: Int) -> Result<TFTPOpenedFile, Refusal> {
        let candidate = root + "/" + relativePath
        guard let resolved = resolve(candidate) else {
            return .failure(errno == EACCES ? Refusal(.accessViolation, "permission denied")
                                            : Refusal(.fileNotFound, "file not found"))
        }
        guard isInside(resolved, root: root) else {
            return .failure(Refusal(.accessViolation, "resolves outside the root (\(resolved))"))
        }
        // O_NONBLOCK: open(2) of a FIFO would wait for a writer and hold a file-opening thread
        // for good; it returns at once and fstat refuses it. Reads of regular files ignore it.
        let fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            return .failure(errno == EACCES ? Refusal(.accessViolation, "permission denied")
                                            : Refusal(.fileNotFound, "cannot open"))
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            _ = close(fd)
            return .failure(Refusal(.fileNotFound, "not a regular file"))
        }
        let size = UInt64(max(0, info.st_size))
        guard mode == .netascii else {
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
            return .success(TFTPOpenedFile(source: .descriptor(fd), size: size, path: resolved))
        }
        defer { _ = close(fd) }
        guard size <= UInt64(maxNetasciiSize) else {
            return .failure(Refusal(.notDefined, "file too large for netascii mode (\(size) bytes)"))
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let count = bytes.withUnsafeMutableBytes { readFully(fd, into: $0, at: 0) }
        guard count == Int(size) else { return .failure(Refusal(.notDefined, "read error")) }
        let converted = Netascii.encode(bytes)
        return .success(TFTPOpenedFile(source: .memory(converted), size: UInt64(converted.count), path: resolved))
    }

    /// Reads up to `buffer.count` bytes at `offset`, retrying short reads; returns the count
    /// read (less only at end of file) or -1 on error.
    static func readFully(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Prepares an upload of `relativePath` under `directory` (a real path): the parent must
    /// exist inside the directory and the file must not; bytes go to a hidden temporary file
    /// that ``commit(_:)`` links into place without ever replacing an existing file.
    static func createUpload(directory: String, relativePath: String) -> Result<TFTPUploadFile, Refusal> {
        let finalPath = directory + "/" + relativePath
        let parent = String(finalPath[..<(finalPath.lastIndex(of: "/") ?? finalPath.endIndex)])
        guard let realParent = resolve(parent), realParent == directory || isInside(realParent, root: directory) else {
            return .failure(Refusal(.accessViolation, "no such directory in the upload area"))
        }
        let name = String(relativePath.split(separator: "/").last ?? Substring(relativePath))
        let target = realParent + "/" + name
        var info = stat()
        if lstat(target, &info) == 0 { return .failure(Refusal(.fileAlreadyExists, "file already exists")) }
        for attempt in 0..<8 {
            let temporary = realParent + "/.\(name).tftp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(attempt)"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
            if fd >= 0 { return .success(TFTPUploadFile(descriptor: fd, temporaryPath: temporary, finalPath: target)) }
            if errno != EEXIST { return .failure(Refusal(.accessViolation, "cannot create file")) }
        }
        return .failure(Refusal(.accessViolation, "cannot create file"))
    }

    /// Appends `bytes`; false on error (disk full, I/O).
    static func append(_ bytes: [UInt8], to upload: TFTPUploadFile) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard var pointer = raw.baseAddress else { return true }
            var left = raw.count
            while left > 0 {
                let n = write(upload.descriptor, pointer, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                left -= n
                pointer += n
            }
            return true
        }
    }

    /// Makes the upload visible under its final name; fails rather than replace a file that
    /// appeared meanwhile (`link` refuses an existing name).
    static func commit(_ upload: TFTPUploadFile) -> Refusal? {
        defer {
            _ = close(upload.descriptor)
            _ = unlink(upload.temporaryPath)
        }
        guard fsync(upload.descriptor) == 0 else { return Refusal(.diskFull, "write error") }
        if link(upload.temporaryPath, upload.finalPath) != 0 {
            return errno == EEXIST ? Refusal(.fileAlreadyExists, "file already exists")
                                   : Refusal(.accessViolation, "cannot create file")
        }
        return nil
    }

    static func discard(_ upload: TFTPUploadFile) {
        _ = close(upload.descriptor)
        _ = unlink(upload.temporaryPath)
    }
}
