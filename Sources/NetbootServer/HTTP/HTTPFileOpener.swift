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
final class HTTPFileOpener: Sendable {
    /// The root's real path, without a trailing slash.
    let rootRealPath: String
    /// How long an inode's "inside the root" verdict is trusted, nanoseconds (1 s).
    static let verifiedLifetime: Int64 = 1_000_000_000
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
        case file(descriptor: CInt, attributes: FileResponse.Attributes)
        case directory(realPath: String)
        case notFound
        case forbidden
        case failed(errno: CInt)
    }

    /// False when the root did not exist at start: every file is then 404 until it is created
    /// (the path is kept absolute, so files appear as soon as the directory does).
    let rootExisted: Bool

    init(root: String) throws(HTTPServiceError) {
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

    /// Opens `segments` under the root. The caller owns the returned descriptor.
    func open(segments: [String]) -> Outcome {
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
        let now = Self.monotonicNanoseconds()
        let isRegular = (info.st_mode & S_IFMT) == S_IFREG
        let nanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
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
            return .file(descriptor: fd, attributes: attributes)
        case S_IFDIR:
            close(fd)
            return .directory(realPath: real)
        default:
            close(fd)
            return .forbidden
        }
    }

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

    private static func monotonicNanoseconds() -> Int64 {
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
