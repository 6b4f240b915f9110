import BootServices
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens files under the served root with plain system calls, on a pool thread or an event loop.
///
/// One `open` + `fstat` per request, and a `readlink` of `/proc/self/fd/N`: the opened file's
/// real path must lie under the root's real path, so a symlink that leads out of the root is
/// refused even if it was swapped in between checks. A file (device + inode) found inside the
/// root is remembered for ``verifiedLifetime`` so hot files skip the `readlink`; a swapped
/// symlink leads to another inode, which is checked afresh.
///
/// **Open descriptors of small files** (nginx's `open_file_cache`, on here by default): a
/// regular file of at most ``cachedFileSizeLimit`` bytes that passed those checks keeps its
/// descriptor for ``descriptorLifetime`` (1 s from its `open`), keyed by the request's path
/// segments, at most `descriptorEntries` of them. A request for it within that time costs one
/// `fstat` of the held descriptor instead of `open` + `fstat` + `close`, and is served only if
/// the file is still linked (`st_nlink > 0`) with the same size and modification time — so a
/// file deleted, replaced by a rename, truncated or rewritten is served anew at once. What the
/// window can still hide (at most 1 s): a path that now leads to another file while the old
/// one stays linked elsewhere (a directory on the path renamed away, a symlink re-pointed, a
/// hard link). Containment is never bypassed: only descriptors that passed the checks above
/// are held. The descriptor is shared (``HTTPOpenFile``), read with `pread`/`sendfile` at
/// explicit offsets, and closed when the cache and every response using it have let go.
final class HTTPFileOpener: Sendable {
    /// The root's real path, without a trailing slash.
    let rootRealPath: String
    /// How long an inode's "inside the root" verdict is trusted, nanoseconds (1 s).
    static let verifiedLifetime: Int64 = 1_000_000_000
    /// How long an open descriptor is reused from its `open`, nanoseconds (1 s): the longest a
    /// path that now leads elsewhere can still be answered with the file it led to before.
    static let descriptorLifetime: Int64 = 1_000_000_000
    /// Files up to this size keep their descriptors; larger ones are opened per request (their
    /// transfer dwarfs the `open`, and a held descriptor would keep a deleted image's blocks).
    static let cachedFileSizeLimit: UInt64 = 1 << 20
    /// How many descriptors are held at most (0: none).
    let descriptorEntries: Int
    /// A held descriptor and what it was served with.
    private struct Held {
        var file: HTTPOpenFile
        var expiry: Int64
        var size: UInt64
        var modificationNanoseconds: Int64
        var attributes: FileResponse.Attributes
    }
    private let held = Mutex<[[String]: Held]>([:])
    private struct FileID: Hashable { var device: UInt64; var inode: UInt64 }
    /// A verified inode and its formatted validators (reused while size and mtime hold).
    private struct Verified {
        var expiry: Int64
        var size: UInt64
        var modificationNanoseconds: Int64
        var etag: EntityTag
        var lastModified: String
    }
    private let verified = Mutex<[FileID: Verified]>([:])

    enum Outcome: Sendable {
        case file(HTTPOpenFile, attributes: FileResponse.Attributes)
        case directory(realPath: String)
        case notFound
        case forbidden
        case failed(errno: CInt)
    }

    /// False when the root did not exist at start: every file is then 404 until it is created
    /// (the path is kept absolute, so files appear as soon as the directory does).
    let rootExisted: Bool

    /// - Parameter descriptorEntries: how many small files' descriptors are held (0: none).
    init(root: String, descriptorEntries: Int = 256) throws(HTTPServiceError) {
        self.descriptorEntries = max(0, descriptorEntries)
        var path: String
        if let resolved = realpath(root, nil) {
            path = String(cString: resolved)
            free(resolved)
            rootExisted = true
        } else if errno == ENOENT {
            path = root
            if !root.hasPrefix("/"), let cwd = getcwd(nil, 0) {
                path = String(cString: cwd) + "/" + root
                free(cwd)
            }
            rootExisted = false
        } else {
            throw .rootUnusable(root, errno: errno)
        }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        rootRealPath = path
    }

    /// Opens `segments` under the root, or reuses the descriptor held for them (see the type's
    /// documentation). `now`: monotonic nanoseconds, for tests.
    func open(segments: [String], now: Int64 = HTTPFileOpener.monotonicNanoseconds()) -> Outcome {
        if descriptorEntries > 0, let reused = reuse(segments, now: now) { return reused }
        let fd = openPath(segments)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR, ENAMETOOLONG: return .notFound
            case EACCES, EPERM, ELOOP: return .forbidden
            default: return .failed(errno: code)
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            return .failed(errno: code)
        }
        let id = FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        let isRegular = (info.st_mode & S_IFMT) == S_IFREG
        let nanoseconds = Self.modificationNanoseconds(info)
        let size = UInt64(max(0, info.st_size))
        var known = isRegular ? verified.withLock { table in table[id].flatMap { $0.expiry > now ? $0 : nil } } : nil
        if let entry = known, entry.size != size || entry.modificationNanoseconds != nanoseconds { known = nil }
        var real = ""
        if known == nil {
            guard let path = Self.realPath(of: fd),
                  path == rootRealPath || path.hasPrefix(rootRealPath + "/") || rootRealPath == "/" else {
                close(fd)
                return .forbidden
            }
            real = path
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let entry = known ?? Verified(
                expiry: now + Self.verifiedLifetime, size: size, modificationNanoseconds: nanoseconds,
                etag: EntityTag(inode: UInt64(info.st_ino), size: size, modificationNanoseconds: nanoseconds),
                lastModified: HTTPDate.format(secondsSinceEpoch: Int64(info.st_mtim.tv_sec))
            )
            if known == nil {
                verified.withLock { table in
                    if table.count >= 4096 { table.removeAll(keepingCapacity: true) }
                    table[id] = entry
                }
            }
            let attributes = FileResponse.Attributes(
                size: size, modificationSeconds: Int64(info.st_mtim.tv_sec), etag: entry.etag,
                contentType: MediaType.forFileName(segments.last ?? ""), lastModified: entry.lastModified
            )
            let file = HTTPOpenFile(descriptor: fd)
            if descriptorEntries > 0, size <= Self.cachedFileSizeLimit {
                hold(segments, Held(file: file, expiry: now + Self.descriptorLifetime, size: size,
                                    modificationNanoseconds: nanoseconds, attributes: attributes), now: now)
            }
            return .file(file, attributes: attributes)
        case S_IFDIR:
            close(fd)
            return .directory(realPath: real)
        default:
            close(fd)
            return .forbidden
        }
    }

    /// The held descriptor for `segments` if it is younger than ``descriptorLifetime`` and its
    /// file is still linked, with the size and modification time it was opened with; one
    /// `fstat`. A held descriptor that fails this is dropped.
    private func reuse(_ segments: [String], now: Int64) -> Outcome? {
        guard let entry = held.withLock({ $0[segments] }) else { return nil }
        var info = stat()
        if entry.expiry > now, fstat(entry.file.descriptor, &info) == 0, info.st_nlink > 0,
            (info.st_mode & S_IFMT) == S_IFREG, UInt64(max(0, info.st_size)) == entry.size,
            Self.modificationNanoseconds(info) == entry.modificationNanoseconds
        {
            return .file(entry.file, attributes: entry.attributes)
        }
        let dropped = held.withLock { table in table[segments]?.file === entry.file ? table.removeValue(forKey: segments) : nil }
        _ = dropped  // released (and closed, unless a response still sends it) outside the lock
        return nil
    }

    /// Holds `entry` for `segments`; when the table is full, first drops the expired entries,
    /// then all of them. The dropped descriptors are released outside the lock.
    private func hold(_ segments: [String], _ entry: Held, now: Int64) {
        let capacity = descriptorEntries
        let dropped = held.withLock { table -> [[String]: Held]? in
            var dropped: [[String]: Held]? = nil
            if table.count >= capacity, table[segments] == nil {
                dropped = table
                table = table.filter { $0.value.expiry > now }
                if table.count >= capacity { table.removeAll() }
            }
            table[segments] = entry
            return dropped
        }
        _ = dropped
    }

    /// How many descriptors are held now (for tests).
    var heldDescriptors: Int { held.withLock { $0.count } }

    /// `open(2)` of root + `/` + segments, the path assembled on the stack. O_NONBLOCK so a
    /// FIFO cannot block the opening thread; it is refused after `fstat` anyway.
    private func openPath(_ segments: [String]) -> CInt {
        var length = rootRealPath.utf8.count
        for segment in segments { length += 1 + segment.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length + 1) { path in
            var at = 0
            func append(_ text: String) {
                for byte in text.utf8 {
                    path[at] = byte
                    at += 1
                }
            }
            append(rootRealPath)
            for segment in segments {
                path[at] = UInt8(ascii: "/")
                at += 1
                append(segment)
            }
            path[at] = 0
            guard let base = path.baseAddress else {
                errno = ENOMEM
                return -1
            }
            return base.withMemoryRebound(to: CChar.self, capacity: length + 1) {
                Glibc.open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            }
        }
    }

    /// Entry names of a directory, sorted, directories suffixed with `/`; hidden names skipped.
    func listing(realPath: String) -> [String]? {
        guard let dir = opendir(realPath) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir), names.count < 10_000 {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            names.append(entry.pointee.d_type == DT_DIR ? name + "/" : name)
        }
        return names.sorted()
    }

    /// A `stat`'s modification time in nanoseconds: what a held descriptor is checked against.
    private static func modificationNanoseconds(_ info: stat) -> Int64 {
        Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    static func monotonicNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    private static func realPath(of fd: CInt) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, Int(PATH_MAX))
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An open regular file under the served root, shared by the opener's cache and the responses
/// that read or send it (`pread` and `sendfile` with explicit offsets: the file offset is never
/// used); closed when the last of them lets go.
final class HTTPOpenFile: Sendable {
    let descriptor: CInt

    init(descriptor: CInt) { self.descriptor = descriptor }

    deinit { close(descriptor) }
}
