// libFuzzer harness: HTTP pure logic — request-target resolution (RFC 9112 §3.2, traversal
// refusal), Range parsing/resolution (RFC 9110 §14), conditional requests and the response plan
// (FileResponse), HTTP-date parsing. Input: NUL-separated fields
// target \0 range \0 if-range \0 if-none-match \0 if-modified-since, then 8 bytes of size.
// docs/fuzzing.md
import BootServices

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var fields = bytes.split(separator: 0, maxSplits: 5, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    while fields.count < 6 { fields.append("") }
    var fileSize: UInt64 = 0
    for byte in bytes.suffix(8) { fileSize = fileSize << 8 | UInt64(byte) }
    if bytes.first.map({ $0 & 1 == 0 }) ?? true { fileSize %= 1 << 20 }

    if let target = try? RequestTarget(fields[0]) {
        let path = target.path
        // Bytes, not Characters: a segment may start with a combining mark that joins the "/".
        guard !target.segments.contains(where: { Array($0.utf8) == [0x2E, 0x2E] }), path.utf8.first == 0x2F else {
            fatalError("traversal passed: \(path)")
        }
        _ = target.queryValue("mac")
    }
    if let request = ByteRangeRequest(Substring(fields[1])) {
        switch request.resolve(size: fileSize) {
        case .ranges(let ranges):
            guard !ranges.isEmpty else { fatalError("empty satisfiable range list") }
            var previousEnd: UInt64?
            for range in ranges {
                guard range.upperBound < fileSize else { fatalError("range \(range) past size \(fileSize)") }
                if let end = previousEnd, range.lowerBound <= end { fatalError("ranges overlap or unsorted: \(ranges)") }
                previousEnd = range.upperBound
            }
        case .unsatisfiable:
            break
        }
    }
    _ = HTTPDate.parse(Substring(fields[4]))
    let etag = EntityTag(inode: 42, size: fileSize, modificationNanoseconds: 1_700_000_000_000_000_000)
    _ = etag.matchesAny(ifNoneMatch: Substring(fields[3]))
    _ = etag.strongMatches(Substring(fields[2]))
    let attributes = FileResponse.Attributes(size: fileSize, modificationSeconds: 1_700_000_000, etag: etag,
                                             contentType: "application/octet-stream")
    let conditions = FileResponse.Conditions(
        isHead: bytes.first.map { $0 & 2 != 0 } ?? false,
        range: fields[1].isEmpty ? nil : Substring(fields[1]),
        ifRange: fields[2].isEmpty ? nil : Substring(fields[2]),
        ifMatch: fields[5].isEmpty ? nil : Substring(fields[5]),
        ifNoneMatch: fields[3].isEmpty ? nil : Substring(fields[3]),
        ifModifiedSince: fields[4].isEmpty ? nil : Substring(fields[4]),
        ifUnmodifiedSince: fields[4].isEmpty ? nil : Substring(fields[4]))
    let response = FileResponse(attributes: attributes, conditions: conditions, boundary: "fuzzboundary")
    _ = response.header("Content-Length")
    _ = response.header("Content-Range")
    return 0
}
