import Foundation
import Testing
@testable import BootImages

@Suite struct LocalFileSystemTests {
    @Test func kindsReadsAndLimitsOnARealDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nb-fs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/dir", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/file")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: root + "/nothing")
        let fs = LocalFileSystem()
        #expect(fs.kind(at: root + "/file") == .regular)
        #expect(fs.kind(at: root + "/link") == .regular)
        #expect(fs.kind(at: root + "/dir") == .directory)
        #expect(fs.kind(at: root + "/dangling") == .missing)
        #expect(fs.kind(at: root + "/nothing") == .missing)
        #expect(fs.kind(at: "/dev/null") == .other)
        #expect(Set(fs.directoryEntries(at: root) ?? []) == ["file", "link", "dangling", "dir"])
        #expect(fs.directoryEntries(at: root + "/file") == nil)
        #expect(try fs.read(root + "/link", limit: 5) == Data("hello".utf8))
        #expect(throws: FileReadError.tooLarge(size: 5, limit: 4)) { try fs.read(root + "/file", limit: 4) }
        #expect(throws: FileReadError.missing) { try fs.read(root + "/nothing", limit: 4) }
        #expect(throws: FileReadError.missing) { try fs.read(root + "/dir", limit: 4) }
    }
}
