#if canImport(Glibc)
import Glibc
#endif

/// Whether one configured directory lies inside another, by their text: a lab admin who sets
/// `http.root: .` (or `state-dir: images/var`) publishes the pid file, the lease database and
/// the logs to anyone on the network (issue 14 item 5). Paths are compared lexically after
/// resolving `.`, `..` and repeated slashes; a relative path is taken against
/// `workingDirectory`, as `netboot` resolves it at run time. They are compared a second time
/// with the symbolic links of their longest existing part resolved (`realPath`), because
/// the servers serve a root's real path: `state-dir: www/var` with `www` a link to the HTTP
/// root is inside it. The directories need not exist when the file is checked.
public enum PublishedPath {
    /// The absolute, normalised components of `path` (`var/./log/..` → `[cwd…, "var"]`).
    public static func components(_ path: String, workingDirectory: String) -> [String] {
        let full = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        var parts: [String] = []
        for part in full.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(part))
            }
        }
        return parts
    }

    /// True when `inner` is `outer` or lies below it, by their text or by their real paths.
    /// - Parameter realPath: the canonical path of an existing path (symbolic links resolved),
    ///   nil when it does not exist; `realpath(3)` by default.
    public static func isInside(_ inner: String, _ outer: String, workingDirectory: String,
                                realPath: (String) -> String? = PublishedPath.realPath) -> Bool {
        let innerParts = components(inner, workingDirectory: workingDirectory)
        let outerParts = components(outer, workingDirectory: workingDirectory)
        return hasPrefix(innerParts, outerParts)
            || hasPrefix(resolved(innerParts, realPath: realPath), resolved(outerParts, realPath: realPath))
    }

    /// `realpath(3)`: nil when `path` does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `parts` with its longest existing leading part replaced by that part's real path.
    static func resolved(_ parts: [String], realPath: (String) -> String?) -> [String] {
        var existing = parts.count
        while existing > 0 {
            if let real = realPath("/" + parts.prefix(existing).joined(separator: "/")) {
                return components(real, workingDirectory: "/") + parts.dropFirst(existing)
            }
            existing -= 1
        }
        return parts
    }

    private static func hasPrefix(_ parts: [String], _ prefix: [String]) -> Bool {
        parts.count >= prefix.count && Array(parts.prefix(prefix.count)) == prefix
    }
}
