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

public enum FileKind: Hashable, Sendable {
    case missing, regular, directory, other
}

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
        guard kind(at: path) == .regular else { throw .missing }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable("cannot open \(path)") }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            if data.count > limit { throw FileReadError.tooLarge(size: data.count, limit: limit) }
            return data
        } catch let error as FileReadError {
            throw error
        } catch {
            throw .unreadable(String(describing: error))
        }
    }
}

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
