import NetbootWire

/// Maps a requested file name to a path relative to the TFTP root, or refuses it. Pure; the
/// shell then resolves symlinks and checks that the real path is still inside the root.
///
/// Steps:
/// 1. Refuse names with NUL, control characters or bytes that were not UTF-8 (ERROR 2), and
///    empty names (ERROR 1).
/// 2. Turn `\` into `/` (Windows-style PXE paths such as `boot\x86\wdsnbp.com`).
/// 3. Strip the first configured prefix that matches at a `/` boundary — by default Apple's
///    absolute `/private/tftpboot/` and `/tftpboot/` — so `/private/tftpboot/NetBoot/…` means
///    `NetBoot/…` under the root.
/// 4. Treat what is left as relative to the root (a leading `/` too, as tftpd-hpa `--secure`
///    does): `/etc/passwd` is looked up as `<root>/etc/passwd`, which is normally not found.
/// 5. Drop empty and `.` components; refuse any `..` (ERROR 2) — no escape is ever attempted.
public struct TFTPPathMapping: Hashable, Sendable {
    /// Why a name was refused; `code` is the ERROR to send.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var code: TFTPErrorCode
        public var reason: String

        public init(_ code: TFTPErrorCode, _ reason: String) {
            self.code = code
            self.reason = reason
        }

        public var description: String { "ERROR \(code.rawValue): \(reason)" }
    }

    /// Absolute prefixes that mean "the root", longest match first.
    public var prefixes: [String]

    public static let defaultPrefixes = ["/private/tftpboot/", "/tftpboot/"]

    public init(prefixes: [String] = TFTPPathMapping.defaultPrefixes) {
        self.prefixes = prefixes.map { $0.hasSuffix("/") ? $0 : $0 + "/" }.sorted { $0.count > $1.count }
    }

    /// The path relative to the root (components joined by `/`, never empty, never `..`).
    public func map(_ filename: String) -> Result<String, Refusal> {
        guard !filename.isEmpty else { return .failure(Refusal(.fileNotFound, "empty file name")) }
        for scalar in filename.unicodeScalars {
            if scalar.value == 0 { return .failure(Refusal(.accessViolation, "NUL byte in file name")) }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                return .failure(Refusal(.accessViolation, "control character in file name"))
            }
            if scalar == "\u{FFFD}" { return .failure(Refusal(.accessViolation, "file name is not UTF-8")) }
        }
        var path = filename.replacingBackslashes()
        for prefix in prefixes {
            if path.hasPrefix(prefix) {
                path.removeFirst(prefix.count)
                break
            }
            if path + "/" == prefix { return .failure(Refusal(.fileNotFound, "names the root directory")) }
        }
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." { return .failure(Refusal(.accessViolation, "'..' in path")) }
            components.append(component)
        }
        guard !components.isEmpty else { return .failure(Refusal(.fileNotFound, "names the root directory")) }
        return .success(components.joined(separator: "/"))
    }
}

extension String {
    fileprivate func replacingBackslashes() -> String {
        guard contains("\\") else { return self }
        return String(map { $0 == "\\" ? "/" : $0 })
    }
}
