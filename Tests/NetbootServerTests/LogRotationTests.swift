import Foundation
import Logging
import Testing
@testable import NetbootServer
@testable import RotatingLog

/// A fresh directory under the system temp dir, removed by `cleanUp()`.
struct TemporaryDirectory {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
    func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// Runs a tool with `arguments`; returns its exit status and standard output.
func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// An archive's content as `zcat` (an independent gunzip) reads it, after `gzip -t` checks it.
func zcat(_ path: String) throws -> String {
    #expect(try run("/bin/gzip", ["-t", path]).status == 0, "gzip -t \(path)")
    let result = try run("/bin/zcat", [path])
    #expect(result.status == 0)
    return String(decoding: result.output, as: UTF8.self)
}

@Suite struct LogRotationPolicyTests {
    @Test func defaultsAreTheSeeds() {
        let policy = LogRotationPolicy(directory: "d", executable: "netboot")
        #expect(policy.sizeLimit == 1_048_576 && policy.maxFiles == 10)
        #expect(policy.currentPath == "d/netboot.log")
        #expect(policy.archivePath(1) == "d/netboot.1.log.gz")
    }

    @Test func limitsAreClampedToTheSeedsIntervals() {
        #expect(LogRotationPolicy(directory: "d", executable: "x", sizeLimit: 1).sizeLimit == 204_800)
        #expect(LogRotationPolicy(directory: "d", executable: "x", sizeLimit: -5).sizeLimit == 204_800)
        #expect(LogRotationPolicy(directory: "d", executable: "x", sizeLimit: 204_800).sizeLimit == 204_800)
        #expect(LogRotationPolicy(directory: "d", executable: "x", sizeLimit: 300_000).sizeLimit == 300_000)
        #expect(LogRotationPolicy(directory: "d", executable: "x", sizeLimit: 4_194_304).sizeLimit == 4_194_304)
        #expect(LogRotationPolicy(directory: "d", executable: "x", sizeLimit: 4_194_305).sizeLimit == 4_194_304)
        #expect(LogRotationPolicy(directory: "d", executable: "x", maxFiles: 0).maxFiles == 1)
        #expect(LogRotationPolicy(directory: "d", executable: "x", maxFiles: 1).maxFiles == 1)
        #expect(LogRotationPolicy(directory: "d", executable: "x", maxFiles: 20).maxFiles == 20)
        #expect(LogRotationPolicy(directory: "d", executable: "x", maxFiles: 21).maxFiles == 20)
    }
}

@Suite struct RotatingLogFileTests {
    /// 150 000 bytes of one letter and a newline: two never fit under the 200 KB minimum.
    static func chunk(_ letter: Character) -> [UInt8] { Array((String(repeating: letter, count: 149_999) + "\n").utf8) }

    @Test func archivesShiftNewestFirstAndTheOldestIsDeleted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "netboot",
                                                                 sizeLimit: 0, maxFiles: 3))
        for letter in "ABCDE" { try file.write(Self.chunk(letter)) }
        #expect(directory.files() == ["netboot.1.log.gz", "netboot.2.log.gz", "netboot.3.log.gz", "netboot.log"])
        #expect(try zcat("\(directory.path)/netboot.1.log.gz") == String(decoding: Self.chunk("D"), as: UTF8.self))
        #expect(try zcat("\(directory.path)/netboot.2.log.gz") == String(decoding: Self.chunk("C"), as: UTF8.self))
        #expect(try zcat("\(directory.path)/netboot.3.log.gz") == String(decoding: Self.chunk("B"), as: UTF8.self))
        let current = try String(contentsOfFile: "\(directory.path)/netboot.log", encoding: .utf8)
        #expect(current == String(decoding: Self.chunk("E"), as: UTF8.self))
    }

    @Test func segmentsHoldWholeWritesUpToTheLimit() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "x", sizeLimit: 204_800))
        let line = Array((String(repeating: "l", count: 99) + "\n").utf8)
        for _ in 0..<2048 { try file.write(line) }  // exactly 204 800 bytes: no rotation yet
        #expect(directory.files() == ["x.log"])
        try file.write(line)
        #expect(directory.files() == ["x.1.log.gz", "x.log"])
        #expect(try zcat("\(directory.path)/x.1.log.gz").utf8.count == 204_800)
        #expect(file.size == 100)
    }

    @Test func oneFileLimitKeepsOnlyTheNewestArchive() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "x", maxFiles: 1))
        for letter in "ABC" { try file.write(Array((String(repeating: letter, count: 1_048_575) + "\n").utf8)) }
        #expect(directory.files() == ["x.1.log.gz", "x.log"])
        #expect(try zcat("\(directory.path)/x.1.log.gz").hasPrefix("BBB"))
    }

    @Test func archivesLeftFromALargerLimitAreDeleted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        for number in 1...6 { #expect(FileManager.default.createFile(atPath: "\(directory.path)/x.\(number).log.gz", contents: Data())) }
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "x", sizeLimit: 0, maxFiles: 2))
        try file.write(Self.chunk("A"))
        try file.write(Self.chunk("B"))
        #expect(directory.files() == ["x.1.log.gz", "x.2.log.gz", "x.log"])
        #expect(try zcat("\(directory.path)/x.1.log.gz").hasPrefix("AAA"))
    }

    @Test func anExistingFileIsAppendedToAndCounted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        #expect(FileManager.default.createFile(atPath: "\(directory.path)/x.log", contents: Data(Self.chunk("A"))))
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "x", sizeLimit: 0))
        #expect(file.size == 150_000)
        try file.write(Self.chunk("B"))
        #expect(try zcat("\(directory.path)/x.1.log.gz").hasPrefix("AAA"))
    }

    /// Logs and archives are 0640 and a created log directory 0750, whatever the umask; a log
    /// an earlier version left 0644 is brought to 0640 (issue 14 item 5).
    @Test func logsAndArchivesAreNotWorldReadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let old = umask(0)
        defer { umask(old) }
        #expect(FileManager.default.createFile(atPath: "\(directory.path)/x.log", contents: Data("old\n".utf8),
                                               attributes: [.posixPermissions: 0o644]))
        let logs = directory.path + "/new/log"
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: logs, executable: "x", sizeLimit: 0))
        try file.write(Self.chunk("A"))
        try file.write(Self.chunk("B"))
        let existing = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "x"))
        try existing.write(Array("new\n".utf8))
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode(logs) == 0o750 && mode(directory.path + "/new") == 0o750)
        #expect(try mode(logs + "/x.log") == 0o640)
        #expect(try mode(logs + "/x.1.log.gz") == 0o640)
        #expect(try mode(directory.path + "/x.log") == 0o640)
    }

    @Test func aLogDeletedBehindOurBackIsStillArchivedWhole() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "x", sizeLimit: 0))
        try file.write(Self.chunk("A"))
        try FileManager.default.removeItem(atPath: "\(directory.path)/x.log")
        try file.write(Self.chunk("B"))
        #expect(try zcat("\(directory.path)/x.1.log.gz").hasPrefix("AAA"))
    }

    @Test func aFailedArchiveLosesNoLineAndIsRetriedLater() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        // A directory where the temporary archive must go makes archiving fail.
        try FileManager.default.createDirectory(atPath: "\(directory.path)/x.1.log.gz.tmp", withIntermediateDirectories: false)
        let file = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "x", sizeLimit: 0))
        try file.write(Self.chunk("A"))
        #expect(throws: (any Error).self) { try file.write(Self.chunk("B")) }
        #expect(file.size == 300_000)  // B was written anyway
        try FileManager.default.removeItem(atPath: "\(directory.path)/x.1.log.gz.tmp")
        try file.write(Self.chunk("C"))
        #expect(try zcat("\(directory.path)/x.1.log.gz").utf8.count == 300_000)
        #expect(file.size == 150_000)
    }

    @Test func rotationOfEachLogIsIndependent() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let a = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "a", sizeLimit: 0))
        let b = try RotatingLogFile(policy: LogRotationPolicy(directory: directory.path, executable: "b", sizeLimit: 0))
        try a.write(Self.chunk("A"))
        try a.write(Self.chunk("A"))
        try b.write(Self.chunk("B"))
        #expect(directory.files() == ["a.1.log.gz", "a.log", "b.log"])
    }

    @Test func anUncreatableDirectoryThrows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        #expect(FileManager.default.createFile(atPath: "\(directory.path)/plain", contents: Data()))
        #expect(throws: (any Error).self) {
            _ = try RotatingLogFile(policy: LogRotationPolicy(directory: "\(directory.path)/plain/log", executable: "x"))
        }
    }
}

@Suite struct GzipTests {
    @Test func outputIsAStandardGzipMember() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        for text in ["", "hello\n", String(repeating: "netboot ", count: 100_000)] {
            let path = "\(directory.path)/t.gz"
            let compressed = try Gzip.compress(Array(text.utf8))
            #expect(compressed.starts(with: [0x1F, 0x8B, 0x08]))  // RFC 1952 magic, deflate
            try Data(compressed).write(to: URL(fileURLWithPath: path))
            #expect(try zcat(path) == text)
        }
    }
}

@Suite struct LogFileSinkTests {
    @Test func loggerLinesReachTheFileWithLabelAndMetadata() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let sink = try LogFileSink(policy: LogRotationPolicy(directory: directory.path, executable: "netboot"))
        var logger = Logger(label: "netboot.test") { LogFileHandler(label: $0, sink: sink, level: .debug) }
        logger[metadataKey: "client"] = "52:54:00:12:34:56"
        logger.info("New image distributed: Lab", metadata: ["id": "0x81000010"])
        logger.trace("not written")
        sink.flush()
        let text = try String(contentsOfFile: "\(directory.path)/netboot.log", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first)
        #expect(line.hasSuffix(" info [netboot.test] New image distributed: Lab client=52:54:00:12:34:56 id=0x81000010"))
        #expect(line.count > 24 && line.dropFirst(23).hasPrefix("Z"))  // 2026-11-24T20:04:27.123Z
        #expect(!text.contains("not written"))
    }

    @Test func concurrentWritersInterleaveWholeLines() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let sink = try LogFileSink(policy: LogRotationPolicy(directory: directory.path, executable: "x"))
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<500 { sink.write("task \(task) line \(index)\n") }
                }
            }
        }
        sink.flush()
        let lines = try String(contentsOfFile: "\(directory.path)/x.log", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4000)
        #expect(lines.allSatisfy { $0.hasPrefix("task ") && $0.contains(" line ") })
    }

    @Test func aWriterThatFallsBehindDropsAndCountsLines() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let sink = try LogFileSink(policy: LogRotationPolicy(directory: directory.path, executable: "x"), maxPendingBytes: 100)
        sink.write(String(repeating: "x", count: 200) + "\n")  // more than may be pending: dropped
        sink.write("short\n")
        sink.flush()
        let text = try String(contentsOfFile: "\(directory.path)/x.log", encoding: .utf8)
        #expect(!text.contains("xxxx"))
        #expect(text.contains("1 log lines dropped"))
        #expect(text.hasSuffix("short\n"))
    }
}

extension LogFileSinkTests {
    /// Issue 21: a busy HTTP server logs a line per request; the sink gathers the lines that
    /// arrive within its batch delay and writes them with one system call, not one each.
    @Test func linesArrivingTogetherAreWrittenInOneBatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let sink = try LogFileSink(policy: LogRotationPolicy(directory: directory.path, executable: "x"),
                                   batchDelay: .seconds(60))
        for index in 0..<1000 { sink.write("GET /file \(index)\n") }
        let path = "\(directory.path)/x.log"
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty)  // still gathering
        sink.flush()  // shutdown: written at once, nothing lost
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.map(String.init) == (0..<1000).map { "GET /file \($0)" })
        #expect(sink.fileWrites == 1)
    }

    /// A batch larger than one write is cut at line ends: the file still rotates between lines.
    @Test func aLargeBatchRotatesBetweenWholeLines() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let policy = LogRotationPolicy(directory: directory.path, executable: "x", sizeLimit: 204_800, maxFiles: 2)
        let sink = try LogFileSink(policy: policy, batchDelay: .seconds(60))
        let line = String(repeating: "a", count: 99) + "\n"
        for _ in 0..<3000 { sink.write(line) }  // 300 000 bytes: past the 204 800 limit
        sink.flush()
        let current = try String(contentsOfFile: "\(directory.path)/x.log", encoding: .utf8)
        let archived = try zcat("\(directory.path)/x.1.log.gz")
        #expect(current.split(separator: "\n").allSatisfy { $0.count == 99 })
        #expect(archived.split(separator: "\n").allSatisfy { $0.count == 99 })
        #expect(current.count + archived.count == 300_000)
        #expect(archived.utf8.count <= 204_800)
        #expect(sink.fileWrites > 1)
    }
}

@Suite struct ReloadsTests {
    @Test func everySubscriberGetsEveryReloadAndStreamsEnd() async {
        let reloads = Reloads()
        let first = reloads.subscribe()
        let second = reloads.subscribe()
        reloads.request(Reload(cause: .request("test")))
        reloads.finish()
        var a: [Reload] = []
        for await reload in first { a.append(reload) }
        var b: [Reload] = []
        for await reload in second { b.append(reload) }
        #expect(a == [Reload(cause: .request("test"))] && b == a)
        var late = 0
        for await _ in reloads.subscribe() { late += 1 }
        #expect(late == 0)
    }
}
