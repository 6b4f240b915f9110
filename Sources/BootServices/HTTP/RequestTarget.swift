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
        var target = target
        target.makeContiguousUTF8()
        let parts = target.utf8.withContiguousStorageIfAvailable { bytes in
            Result { () throws(Refusal) in try Self.parse(bytes) }
        }
        guard let parts else { throw .malformed }  // unreachable: the storage was made contiguous
        let (segments, isDirectory, queryStart, queryEnd) = try parts.get()
        self.segments = segments
        self.isDirectory = isDirectory
        if let queryStart {
            let utf8 = target.utf8
            query = Substring(utf8[utf8.index(utf8.startIndex, offsetBy: queryStart)..<utf8.index(utf8.startIndex,
                                                                                                offsetBy: queryEnd)])
        } else {
            query = ""
        }
    }

    /// Segments, directory flag, and the query's byte offsets, from the target's bytes.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Refusal)
        -> (segments: [String], isDirectory: Bool, queryStart: Int?, queryEnd: Int) {
        var end = bytes.count
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) { end = hash }
        // absolute-form (RFC 9112 §3.2.2): drop scheme and authority.
        var start = 0
        if let length = schemeLength(bytes, end: end) {
            start = length
            while start < end, bytes[start] != UInt8(ascii: "/") { start += 1 }
            if start == end { return ([], true, nil, end) }  // http://host: the root
        }
        var pathEnd = end
        var queryStart: Int?
        if let mark = bytes[start..<end].firstIndex(of: UInt8(ascii: "?")) {
            pathEnd = mark
            queryStart = mark + 1
        }
        let rawPath = UnsafeBufferPointer(rebasing: bytes[start..<pathEnd])
        guard rawPath.first == UInt8(ascii: "/") else { throw .malformed }
        if !rawPath.contains(UInt8(ascii: "%")) {
            let (segments, isDirectory) = try split(rawPath)
            return (segments, isDirectory, queryStart, end)
        }
        guard let decoded = percentDecode(rawPath, plusIsSpace: false) else { throw .malformed }
        let (segments, isDirectory) = try decoded.withUnsafeBufferPointer { buffer throws(Refusal) in try split(buffer) }
        return (segments, isDirectory, queryStart, end)
    }

    /// A segment as a String; not UTF-8 is malformed (ASCII, the usual case, skips validation).
    private static func text(_ segment: UnsafeBufferPointer<UInt8>) throws(Refusal) -> String {
        if segment.allSatisfy({ $0 < 0x80 }) { return String(decoding: segment, as: UTF8.self) }
        guard let text = String(validating: segment, as: UTF8.self) else { throw .malformed }
        return text
    }

    /// 7 or 8 when the bytes start with `http://` or `https://` (any case), else nil.
    private static func schemeLength(_ bytes: UnsafeBufferPointer<UInt8>, end: Int) -> Int? {
        func starts(with scheme: StaticString) -> Bool {
            let count = scheme.utf8CodeUnitCount
            guard end >= count else { return false }
            for offset in 0..<count where bytes[offset] | 0x20 != scheme.utf8Start[offset] { return false }
            return true
        }
        if starts(with: "http://") { return 7 }
        if starts(with: "https://") { return 8 }
        return nil
    }

    /// Splits a decoded path on `/`: empty and `.` segments dropped, `..` refused, NUL,
    /// backslash and invalid UTF-8 malformed.
    private static func split(_ path: UnsafeBufferPointer<UInt8>) throws(Refusal) -> ([String], Bool) {
        var segments: [String] = []
        var start = 0
        for index in 0...path.count {
            let byte = index < path.count ? path[index] : UInt8(ascii: "/")
            switch byte {
            case 0, UInt8(ascii: "\\"):
                throw .malformed
            case UInt8(ascii: "/"):
                let segment = UnsafeBufferPointer(rebasing: path[start..<index])
                start = index + 1
                if segment.isEmpty || (segment.count == 1 && segment[0] == UInt8(ascii: ".")) {
                } else if segment.count == 2 && segment[0] == UInt8(ascii: ".") && segment[1] == UInt8(ascii: ".") {
                    throw .traversal
                } else {
                    segments.append(try text(segment))
                }
            default:
                break
            }
        }
        return (segments, path.last == UInt8(ascii: "/"))
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
    static func percentDecode<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusIsSpace: Bool) -> [UInt8]? {
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
