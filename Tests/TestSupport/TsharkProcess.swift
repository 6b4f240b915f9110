import Foundation

/// tshark, the independent decoder the oracle tests compare against: where it is, whether the
/// oracle tests must run (always in CI, where a missing tshark fails them), and one run.
public enum TsharkProcess {
    /// The tshark binary, or nil when it is not installed.
    public static let path: String? = ["/usr/bin/tshark", "/usr/local/bin/tshark", "/usr/sbin/tshark"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Oracle tests run when tshark is here, and always in CI.
    public static var shouldRun: Bool { path != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs tshark with `arguments` and returns its standard output; throws with its standard
    /// error when it is missing or exits non-zero.
    public static func run(_ arguments: [String]) throws -> Data {
        guard let path else {
            throw Failure(description: "tshark is required for the oracle tests (apt-get install tshark; scripts/install-deps test)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("tshark-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw Failure(description: "tshark \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(stderr)")
        }
        return data
    }
}
