/// Whether one configured directory lies inside another, by their text: a lab admin who sets
/// `http.root: .` (or `state-dir: images/var`) publishes the pid file, the lease database and
/// the logs to anyone on the network (issue 14 item 5). Paths are compared lexically after
/// resolving `.`, `..` and repeated slashes; a relative path is taken against
/// `workingDirectory`, as `netboot` resolves it at run time. Symbolic links are not followed
/// (the directories need not exist when the file is checked).
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

    /// True when `inner` is `outer` or lies below it.
    public static func isInside(_ inner: String, _ outer: String, workingDirectory: String) -> Bool {
        let innerParts = components(inner, workingDirectory: workingDirectory)
        let outerParts = components(outer, workingDirectory: workingDirectory)
        return innerParts.count >= outerParts.count && Array(innerParts.prefix(outerParts.count)) == outerParts
    }
}
