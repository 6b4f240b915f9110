/// A `Range: bytes=…` request header, parsed (RFC 9110 §14.1.1, §14.2).
///
/// Offsets are `UInt64` throughout, so images past 4 GiB work. Parsing is linear in the header
/// length and keeps at most ``maxSpecs`` specs; a header with more is ignored as a whole
/// (RFC 9110 §14.2: a server MAY ignore a Range header field).
public struct ByteRangeRequest: Equatable, Sendable {
    /// One `range-spec`.
    public enum Spec: Equatable, Sendable {
        /// `first-last` (`last` absent for `first-`).
        case fromTo(first: UInt64, last: UInt64?)
        /// `-length`: the final `length` bytes.
        case suffix(length: UInt64)
    }

    /// Specs beyond this count make the whole header ignored (and the full file is served).
    public static let maxSpecs = 1024

    public var specs: [Spec]

    public init(specs: [Spec]) { self.specs = specs }

    /// Parses a Range field value. Returns nil when the value is not a valid `bytes` range set
    /// (RFC 9110 §14.2: an invalid or unknown-unit Range is ignored) or has too many specs.
    public init?(_ value: Substring) {
        let bytes = value.utf8
        var index = bytes.startIndex
        let prefix = "bytes=".utf8
        for expected in prefix {
            guard index != bytes.endIndex, Self.lower(bytes[index]) == expected else { return nil }
            index = bytes.index(after: index)
        }
        var specs: [Spec] = []
        var sawSpec = false
        while true {
            // Skip OWS and empty list elements (RFC 9110 §5.6.1).
            while index != bytes.endIndex, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x2C {
                index = bytes.index(after: index)
            }
            if index == bytes.endIndex { break }
            var first: UInt64?
            if bytes[index] != UInt8(ascii: "-") {
                guard let number = Self.number(bytes, &index) else { return nil }
                first = number
            }
            guard index != bytes.endIndex, bytes[index] == UInt8(ascii: "-") else { return nil }
            index = bytes.index(after: index)
            var last: UInt64?
            if index != bytes.endIndex, Self.isDigit(bytes[index]) {
                guard let number = Self.number(bytes, &index) else { return nil }
                last = number
            }
            while index != bytes.endIndex, bytes[index] == 0x20 || bytes[index] == 0x09 {
                index = bytes.index(after: index)
            }
            guard index == bytes.endIndex || bytes[index] == UInt8(ascii: ",") else { return nil }
            switch (first, last) {
            case let (first?, last):
                if let last, last < first { return nil }  // invalid range-spec (§14.1.1)
                specs.append(.fromTo(first: first, last: last))
            case let (nil, length?):
                specs.append(.suffix(length: length))
            case (nil, nil):
                return nil
            }
            sawSpec = true
            guard specs.count <= Self.maxSpecs else { return nil }
        }
        guard sawSpec else { return nil }
        self.specs = specs
    }

    /// Resolves the specs against a representation of `size` bytes (RFC 9110 §14.1.2):
    /// unsatisfiable specs are dropped; overlapping or adjacent ranges, and those separated by
    /// less than `coalesceGap` bytes, are merged in ascending order (§14.3 allows both).
    public func resolve(size: UInt64, coalesceGap: UInt64 = 80) -> ByteRangeResolution {
        var ranges: [ClosedRange<UInt64>] = []
        ranges.reserveCapacity(min(specs.count, 16))
        for spec in specs {
            switch spec {
            case let .fromTo(first, last):
                guard first < size else { continue }
                ranges.append(first...min(last ?? (size - 1), size - 1))
            case let .suffix(length):
                guard length > 0, size > 0 else { continue }
                ranges.append((size - min(length, size))...(size - 1))
            }
        }
        guard !ranges.isEmpty else { return .unsatisfiable }
        if ranges.count == 1 { return .ranges(ranges) }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt64>] = [ranges[0]]
        for range in ranges.dropFirst() {
            let current = merged[merged.count - 1]
            // `upperBound < size <= UInt64.max`, so the additions cannot overflow in practice;
            // use the saturating form anyway.
            let (reach, overflow) = current.upperBound.addingReportingOverflow(1 + coalesceGap)
            if overflow || range.lowerBound <= reach {
                merged[merged.count - 1] = current.lowerBound...max(current.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return .ranges(merged)
    }

    private static func lower(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c + 32 : c
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// Reads 1+ digits; nil on overflow of `UInt64` or no digit.
    private static func number(_ bytes: Substring.UTF8View, _ index: inout Substring.UTF8View.Index) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while index != bytes.endIndex, isDigit(bytes[index]) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
            digits += 1
            index = bytes.index(after: index)
        }
        return digits > 0 ? value : nil
    }
}

/// The outcome of resolving a ``ByteRangeRequest`` against a representation's size.
public enum ByteRangeResolution: Equatable, Sendable {
    /// Satisfiable ranges, ascending and non-overlapping after coalescing (at least one).
    case ranges([ClosedRange<UInt64>])
    /// No spec overlaps the representation: 416 with `Content-Range: bytes */size`.
    case unsatisfiable
}
