import Foundation
import NetbootWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The little of a file system the catalog scan needs, so that tests can hand it a tree in
/// memory and the service can hand it the real disk. Paths are `/`-joined strings.
public protocol ImageFileSystem: Sendable {
    /// Entry names of a directory (not `.`/`..`); nil when it is not a readable directory.
    func directoryEntries(at path: String) -> [String]?
    /// What is at `path`, following symbolic links.
    func kind(at path: String) -> FileKind
    /// The file's bytes, or nil when it is missing, unreadable or larger than `limit`.
    func read(_ path: String, limit: Int) throws(FileReadError) -> Data
}

/// What a path names, after following symbolic links (`stat(2)`).
public enum FileKind: Hashable, Sendable {
    case missing, regular, directory, other
}

/// Why ``ImageFileSystem/read(_:limit:)`` returned no bytes.
public enum FileReadError: Error, Hashable, Sendable, CustomStringConvertible {
    case missing
    case tooLarge(size: Int, limit: Int)
    case unreadable(String)

    public var description: String {
        switch self {
        case .missing: "missing"
        case let .tooLarge(size, limit): "\(size) bytes, more than the \(limit)-byte limit"
        case let .unreadable(detail): detail
        }
    }
}

/// The real disk through Foundation.
public struct LocalFileSystem: ImageFileSystem {
    public init() {}

    public func directoryEntries(at path: String) -> [String]? {
        guard kind(at: path) == .directory else { return nil }
        return try? FileManager.default.contentsOfDirectory(atPath: path)
    }

    public func kind(at path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }  // follows symbolic links
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    public func read(_ path: String, limit: Int) throws(FileReadError) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .missing }
            throw .unreadable(String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw .missing }
        let size = Int(info.st_size)
        guard size <= limit else { throw .tooLarge(size: size, limit: limit) }
        // Read until end of file, never past limit + 1 bytes (the file may grow meanwhile).
        var data = Data(count: size + 1)
        var filled = 0
        let failure: Int32? = data.withUnsafeMutableBytes { buffer -> Int32? in
            guard let base = buffer.baseAddress else { return nil }
            while filled < buffer.count {
                let count = systemRead(descriptor, base + filled, buffer.count - filled)
                if count < 0 { if errno == EINTR { continue }; return errno }
                if count == 0 { break }
                filled += count
            }
            return nil
        }
        if let failure { throw .unreadable(String(cString: strerror(failure))) }
        guard filled <= limit else { throw .tooLarge(size: filled, limit: limit) }
        return data.prefix(filled)
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif

/// Turns the host of an indirect `RootPath` or a `LoadBalanceServer` into an address, as Apple
/// does at load time (xnu needs an IP literal in option 17).
public protocol HostResolving: Sendable {
    func resolve(_ host: String) -> IPv4Address?
}

/// Accepts dotted-quad literals only. The default: the core performs no name lookups; the
/// executable passes a system resolver.
public struct LiteralHostResolver: HostResolving {
    public init() {}
    public func resolve(_ host: String) -> IPv4Address? { IPv4Address(host) }
}
