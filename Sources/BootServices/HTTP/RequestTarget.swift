/// A request target (RFC 9112 §3.2) turned into a safe relative path under a served root.
///
/// The path is percent-decoded exactly once, then split on `/`. Empty and `.` segments are
/// dropped; a `..` segment (whether sent literally or as `%2e%2e`) is refused rather than
/// normalised, as are NUL bytes, backslashes and bytes that are not UTF-8. Symlinks that lead
/// out of the root are the shell's check (it sees the file system); this type never touches it.
public struct RequestTarget: Equatable, Sendable {
    /// Why a target was refused, with the status the server answers.
    public enum Refusal: Error, Equatable, Sendable {
        /// Not a valid origin-form or absolute-form target, a bad `%` escape, NUL, backslash
        /// or invalid UTF-8: 400.
        case malformed
        /// A `..` segment: 403.
        case traversal

        public var status: Int { self == .malformed ? 400 : 403 }
    }

    /// Decoded path segments, none empty, `.` or `..`.
    public var segments: [String]
    /// True when the decoded path ends in `/` (or is the root).
    public var isDirectory: Bool
    /// The raw query (after `?`, before any `#`), still encoded; empty when absent.
    public var query: Substring

    /// The decoded path, `/`-joined with a leading `/`.
    public var path: String { "/" + segments.joined(separator: "/") + (isDirectory && !segments.isEmpty ? "/" : "") }

    public init(_ target: String) throws(Refusal) {
        var rest = Substring(target)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        // absolute-form (RFC 9112 §3.2.2): drop scheme and authority.
        let lowered = rest.prefix(8).lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            let afterScheme = rest[rest.index(rest.startIndex, offsetBy: lowered.hasPrefix("http://") ? 7 : 8)...]
            rest = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        guard rest.first == "/" else { throw .malformed }
        var rawPath = rest
        query = ""
        if let mark = rest.firstIndex(of: "?") {
            rawPath = rest[..<mark]
            query = rest[rest.index(after: mark)...]
        }
        guard let decoded = Self.percentDecode(rawPath.utf8, plusIsSpace: false) else { throw .malformed }
        var segments: [String] = []
        var start = 0
        for index in 0...decoded.count {
            let byte = index < decoded.count ? decoded[index] : UInt8(ascii: "/")
            switch byte {
            case 0, UInt8(ascii: "\\"):
                throw .malformed
            case UInt8(ascii: "/"):
                let segment = decoded[start..<index]
                start = index + 1
                if segment.isEmpty || segment.elementsEqual([UInt8(ascii: ".")]) {
                } else if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                    throw .traversal
                } else {
                    guard let text = String(validating: segment, as: UTF8.self) else { throw .malformed }
                    segments.append(text)
                }
            default:
                break
            }
        }
        self.segments = segments
        isDirectory = decoded.last == UInt8(ascii: "/")
    }

    /// The query's `name=value` pairs, decoded (`+` is a space, form encoding); pairs that do not
    /// decode are skipped. The first occurrence of a name wins in ``queryValue(_:)``.
    public var queryItems: [(name: String, value: String)] {
        query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.percentDecode(parts[0].utf8, plusIsSpace: true),
                  let value = Self.percentDecode((parts.count > 1 ? parts[1] : "").utf8, plusIsSpace: true),
                  let nameText = String(validating: name, as: UTF8.self),
                  let valueText = String(validating: value, as: UTF8.self) else { return nil }
            return (nameText, valueText)
        }
    }

    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Decodes `%XX` escapes once; nil on a truncated or non-hex escape.
    static func percentDecode(_ bytes: Substring.UTF8View, plusIsSpace: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let h = bytes.index(after: index)
                guard h != bytes.endIndex else { return nil }
                let l = bytes.index(after: h)
                guard l != bytes.endIndex, let high = hex(bytes[h]), let low = hex(bytes[l]) else { return nil }
                out.append(high << 4 | low)
                index = bytes.index(after: l)
            } else {
                out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = bytes.index(after: index)
            }
        }
        return out
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
