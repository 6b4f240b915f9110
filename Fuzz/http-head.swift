// libFuzzer harness: the HTTP/1.1 request-head parser (RFC 9112) as a connection feeds it —
// pipelined heads consumed one after another, each fed whole, split at an input-chosen point,
// and for short inputs one byte at a time, which must all agree. Then every head's target
// through RequestTarget and its fields through FileResponse. Input: byte 0 picks the limits,
// byte 1 the split point, the rest is what the client sent.
// docs/fuzzing.md
import BootServices

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let limits = RequestHeadParser.Limits(maxTargetBytes: 8 + Int(data[0] & 0x3F) * 8,
                                          maxFieldBytes: 16 + Int(data[0] >> 6) * 200)
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    var rest = bytes[...]
    var heads = 0
    while !rest.isEmpty, heads < 64 {
        var whole = RequestHeadParser(limits: limits)
        let outcome = rest.withUnsafeBytes { whole.parse($0) }

        var split = RequestHeadParser(limits: limits)
        let at = min(Int(data[1]), rest.count)
        var second = rest[rest.startIndex..<(rest.startIndex + at)].withUnsafeBytes { split.parse($0) }
        if second == .needMore { second = rest.withUnsafeBytes { split.parse($0) } }
        guard second == outcome else { fatalError("split at \(at) gave \(second), whole gave \(outcome)") }

        if rest.count <= 512 {
            var trickle = RequestHeadParser(limits: limits)
            var fed = RequestHeadParser.Outcome.needMore
            for count in 0...rest.count where fed == .needMore {
                fed = rest[rest.startIndex..<(rest.startIndex + count)].withUnsafeBytes { trickle.parse($0) }
            }
            guard fed == outcome else { fatalError("byte by byte gave \(fed), whole gave \(outcome)") }
        }

        guard case let .head(head, length) = outcome else { break }
        guard length > 0, length <= rest.count else { fatalError("consumed \(length) of \(rest.count)") }
        guard !head.target.isEmpty, head.target.utf8.count <= limits.maxTargetBytes,
              head.target.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            fatalError("target let through: \(head.target.debugDescription)")
        }
        guard head.minorVersion <= 1, head.minorVersion == 0 || head.host != nil else {
            fatalError("HTTP/1.1 head without Host: \(head)")
        }
        for value in [head.host, head.range, head.ifRange, head.ifMatch, head.ifNoneMatch, head.ifModifiedSince,
                      head.ifUnmodifiedSince].compactMap({ $0 }) {
            // Values are trimmed and hold no CR, LF or other control byte but HTAB.
            if value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                fatalError("control byte in a value: \(value.debugDescription)")
            }
            for edge in [value.utf8.first, value.utf8.last] where edge == 0x20 || edge == 0x09 {
                fatalError("untrimmed: \(value.debugDescription)")
            }
        }
        if let target = try? RequestTarget(head.target) {
            guard !target.segments.contains(where: { Array($0.utf8) == [0x2E, 0x2E] }) else {
                fatalError("traversal passed: \(head.target)")
            }
        }
        let etag = EntityTag(inode: 7, size: 1000, modificationNanoseconds: 1_700_000_000_000_000_000)
        let file = FileResponse.Attributes(size: 1000, modificationSeconds: 1_700_000_000, etag: etag,
                                           contentType: "application/octet-stream")
        let plan = FileResponse(attributes: file, conditions: head.conditions, boundary: "fuzz")
        if case let .file(range) = plan.body, range.upperBound >= 1000 { fatalError("range past the file: \(range)") }
        rest = rest.dropFirst(length)
        heads += 1
    }
    return 0
}
