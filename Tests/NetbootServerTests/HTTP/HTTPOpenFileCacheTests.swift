import BootServices
import Foundation
import Testing

@testable import NetbootServer

#if canImport(Glibc)
import Glibc
#endif

/// The opener's held descriptors of small files (issue 21, small files): reused within the
/// window, never past a delete, a replace or a change of size, never for a file outside the
/// root, and closed when the cache and the last response let go.
@Suite struct HTTPOpenFileCacheTests {
    let base: URL
    let root: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-http-fd-\(UUID().uuidString)")
        root = base.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("first".utf8).write(to: root.appendingPathComponent("sub/a.txt"))
        try Data("outside".utf8).write(to: base.appendingPathComponent("secret.txt"))
    }

    func cleanup() { try? FileManager.default.removeItem(at: base) }

    /// The opened file and its contents (read with `pread`, as the server does), or nil.
    func open(_ opener: HTTPFileOpener, _ segments: [String], at now: Int64) -> (HTTPOpenFile, String)? {
        guard case let .file(file, attributes) = opener.open(segments: segments, now: now) else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(attributes.size))
        let count = pread(file.descriptor, &bytes, bytes.count, 0)
        return (file, String(decoding: bytes.prefix(max(0, count)), as: UTF8.self))
    }

    func replace(_ relative: String, with text: String) throws {
        let temporary = root.appendingPathComponent(relative + ".new")
        try Data(text.utf8).write(to: temporary)
        #expect(rename(temporary.path, root.appendingPathComponent(relative).path) == 0)
    }

    @Test func aHotFileIsOpenedOncePerWindow() throws {
        defer { cleanup() }
        let opener = try HTTPFileOpener(root: root.path)
        let now = HTTPFileOpener.monotonicNanoseconds()
        let first = try #require(open(opener, ["sub", "a.txt"], at: now))
        let again = try #require(open(opener, ["sub", "a.txt"], at: now + HTTPFileOpener.descriptorLifetime / 2))
        #expect(first.0 === again.0 && again.1 == "first")
        let later = try #require(open(opener, ["sub", "a.txt"], at: now + HTTPFileOpener.descriptorLifetime + 1))
        #expect(later.0 !== first.0 && later.1 == "first")
        #expect(opener.heldDescriptors == 1)
    }

    @Test func aReplacedDeletedOrResizedFileIsNeverServedFromTheOldDescriptor() throws {
        defer { cleanup() }
        let opener = try HTTPFileOpener(root: root.path)
        let now = HTTPFileOpener.monotonicNanoseconds()
        let first = try #require(open(opener, ["sub", "a.txt"], at: now))
        try replace("sub/a.txt", with: "second")  // rename over: the old inode is unlinked
        let replaced = try #require(open(opener, ["sub", "a.txt"], at: now + 1))
        #expect(replaced.0 !== first.0 && replaced.1 == "second")
        try Data("third, longer".utf8).write(to: root.appendingPathComponent("sub/a.txt"))  // in place
        let rewritten = try #require(open(opener, ["sub", "a.txt"], at: now + 2))
        #expect(rewritten.1 == "third, longer")
        guard case let .file(_, attributes) = opener.open(segments: ["sub", "a.txt"], now: now + 3) else {
            Issue.record("expected the file")
            return
        }
        #expect(attributes.size == 13)
        try FileManager.default.removeItem(at: root.appendingPathComponent("sub/a.txt"))
        guard case .notFound = opener.open(segments: ["sub", "a.txt"], now: now + 4) else {
            Issue.record("a deleted file must be 404 at once")
            return
        }
    }

    /// The window's documented limit: a path that leads to another file while the old one is
    /// still linked (its directory renamed away) is answered with the old file for at most
    /// ``HTTPFileOpener/descriptorLifetime``, then with the new one.
    @Test func aPathLeadingElsewhereIsServedNewAfterTheWindow() throws {
        defer { cleanup() }
        let opener = try HTTPFileOpener(root: root.path)
        let now = HTTPFileOpener.monotonicNanoseconds()
        #expect(open(opener, ["sub", "a.txt"], at: now)?.1 == "first")
        let fm = FileManager.default
        try fm.moveItem(at: root.appendingPathComponent("sub"), to: root.appendingPathComponent("old"))
        try fm.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("new one".utf8).write(to: root.appendingPathComponent("sub/a.txt"))
        #expect(open(opener, ["sub", "a.txt"], at: now + HTTPFileOpener.descriptorLifetime - 1)?.1 == "first")
        #expect(open(opener, ["sub", "a.txt"], at: now + HTTPFileOpener.descriptorLifetime)?.1 == "new one")
    }

    @Test func aSymlinkRepointedOutOfTheRootIsNeverFollowed() throws {
        defer { cleanup() }
        let link = root.appendingPathComponent("link")
        #expect(symlink(root.appendingPathComponent("sub/a.txt").path, link.path) == 0)
        let opener = try HTTPFileOpener(root: root.path)
        let now = HTTPFileOpener.monotonicNanoseconds()
        #expect(open(opener, ["link"], at: now)?.1 == "first")
        try FileManager.default.removeItem(at: link)
        #expect(symlink(base.appendingPathComponent("secret.txt").path, link.path) == 0)
        // Within the window the old (inside) file at most; past it the outside one is refused.
        #expect(open(opener, ["link"], at: now + 1)?.1 == "first")
        guard case .forbidden = opener.open(segments: ["link"], now: now + HTTPFileOpener.descriptorLifetime) else {
            Issue.record("a symlink out of the root must be refused")
            return
        }
    }

    @Test func heldDescriptorsAreBoundedAndClosedWhenTheLastHolderLetsGo() throws {
        defer { cleanup() }
        for name in ["b", "c", "d"] { try Data(name.utf8).write(to: root.appendingPathComponent(name)) }
        let opener = try HTTPFileOpener(root: root.path, descriptorEntries: 2)
        let now = HTTPFileOpener.monotonicNanoseconds()
        weak var dropped: HTTPOpenFile?
        var inFlight: HTTPOpenFile?
        do {
            let b = try #require(open(opener, ["b"], at: now))
            dropped = b.0
            inFlight = try #require(open(opener, ["c"], at: now)).0
        }
        #expect(opener.heldDescriptors == 2 && dropped != nil)
        #expect(open(opener, ["d"], at: now)?.1 == "d")  // full: the table is emptied first
        #expect(opener.heldDescriptors == 1)
        #expect(dropped == nil)  // released by the cache and by every response: closed
        weak let sending = inFlight
        #expect(sending != nil && fcntl(inFlight?.descriptor ?? -1, F_GETFD) >= 0)  // a response still sends it
        inFlight = nil
        #expect(sending == nil)
    }

    @Test func largeFilesAndDisabledCacheHoldNothing() throws {
        defer { cleanup() }
        try Data(repeating: 1, count: Int(HTTPFileOpener.cachedFileSizeLimit) + 1)
            .write(to: root.appendingPathComponent("large.bin"))
        let opener = try HTTPFileOpener(root: root.path)
        let now = HTTPFileOpener.monotonicNanoseconds()
        let first = try #require(open(opener, ["large.bin"], at: now))
        #expect(try #require(open(opener, ["large.bin"], at: now)).0 !== first.0)
        #expect(opener.heldDescriptors == 0)
        let off = try HTTPFileOpener(root: root.path, descriptorEntries: 0)
        let one = try #require(open(off, ["sub", "a.txt"], at: now))
        #expect(try #require(open(off, ["sub", "a.txt"], at: now)).0 !== one.0)
        #expect(off.heldDescriptors == 0)
    }
}
