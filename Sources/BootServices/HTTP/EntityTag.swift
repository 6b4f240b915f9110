/// A strong entity tag built from a file's identity (RFC 9110 §8.8.3), and the comparisons
/// the conditional request fields need (§13.1).
///
/// The opaque tag is `"<inode hex>-<size hex>-<mtime ns hex>"`: it changes when the file is
/// replaced (new inode), resized or rewritten, so it is a valid strong validator for a file
/// that is not rewritten in place within one timestamp tick.
public struct EntityTag: Equatable, Sendable, CustomStringConvertible {
    /// The quoted tag, e.g. `"1a2b-400-17f0c…"`.
    public var quoted: String

    public init(inode: UInt64, size: UInt64, modificationNanoseconds: Int64) {
        let mtime = UInt64(bitPattern: modificationNanoseconds)
        quoted = "\"" + String(inode, radix: 16) + "-" + String(size, radix: 16) + "-"
            + String(mtime, radix: 16) + "\""
    }

    public var description: String { quoted }

    /// `If-None-Match` (§13.1.2): true when the field value is `*` or lists this tag under
    /// weak comparison (a `W/` prefix on the listed tag is ignored).
    public func matchesAny(ifNoneMatch value: Substring) -> Bool {
        let trimmed = value.trimmingOWS
        if trimmed == "*" { return true }
        for element in trimmed.split(separator: ",") {
            var tag = element.trimmingOWS
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag == quoted[...] { return true }
        }
        return false
    }

    /// `If-Range` with an entity tag (§13.1.5): strong comparison, so a weak tag never matches.
    public func strongMatches(_ value: Substring) -> Bool {
        value.trimmingOWS == quoted[...]
    }
}

extension Substring {
    /// Drops leading and trailing spaces and tabs (RFC 9110 §5.6.3 OWS).
    var trimmingOWS: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
