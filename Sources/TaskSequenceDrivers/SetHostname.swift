import Foundation

/// Set Hostname (seed C15, L4836-4857), Linux: writes `<target root>/etc/hostname` and the
/// `127.0.1.1` line of `<target root>/etc/hosts` (Debian's convention), each atomically. The
/// name must be a valid host name (RFC 1123: labels of letters, digits and hyphens, 1-63
/// characters, not starting or ending with a hyphen; at most 253 in all).
public struct SetHostnameDriver: StepDriver {
    public init() {}

    public func run(_ step: ResolvedStep, context: StepContext) -> DriverResult {
        let name = step.properties["hostname"] ?? ""
        guard Self.isValid(name) else { return .failed("'\(name.prefix(80))' is not a valid host name (RFC 1123)") }
        let root = context.targetRoot.hasSuffix("/") ? String(context.targetRoot.dropLast()) : context.targetRoot
        if context.dryRun {
            context.log("would set the host name to \(name) in \(root)/etc/hostname")
            return .exited(0)
        }
        do {
            try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
            try AtomicFile.write(Array((name + "\n").utf8), to: root + "/etc/hostname", mode: 0o644)
            let hostsPath = root + "/etc/hosts"
            let hosts = (try? String(contentsOfFile: hostsPath, encoding: .utf8)) ?? "127.0.0.1\tlocalhost\n"
            try AtomicFile.write(Array(Self.hosts(hosts, hostname: name).utf8), to: hostsPath, mode: 0o644)
        } catch {
            return .failed("cannot write the host name into \(root): \(error)")
        }
        context.log("host name set to \(name) in \(root)/etc/hostname")
        return .exited(0)
    }

    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.count), label.first != "-", label.last != "-" else { return false }
            return label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
    }

    /// `hosts` with its `127.0.1.1` line naming `hostname` (added when missing).
    public static func hosts(_ hosts: String, hostname: String) -> String {
        let short = hostname.split(separator: ".").first.map(String.init) ?? hostname
        let entry = hostname == short ? "127.0.1.1\t\(hostname)" : "127.0.1.1\t\(hostname) \(short)"
        var lines = hosts.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if let index = lines.firstIndex(where: { $0.hasPrefix("127.0.1.1") }) { lines[index] = entry } else { lines.append(entry) }
        return lines.joined(separator: "\n") + "\n"
    }
}
