import Testing

@testable import BootServices

@Suite struct FileResponseTests {
    static let etag = EntityTag(inode: 0x1234, size: 1000, modificationNanoseconds: 784_111_777_000_000_000)
    static let file = FileResponse.Attributes(size: 1000, modificationSeconds: 784_111_777, etag: etag,
                                              contentType: "application/octet-stream")
    static let lastModified = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var conditions: FileResponse.Conditions
        var status: Int
        var body: FileResponse.Body
        var contentRange: String?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain GET", conditions: .init(), status: 200, body: .file(0...999)),
        Case(name: "HEAD", conditions: .init(isHead: true), status: 200, body: .none),
        Case(name: "HEAD ignores Range", conditions: .init(isHead: true, range: "bytes=0-1"), status: 200, body: .none),
        Case(name: "range", conditions: .init(range: "bytes=10-19"), status: 206, body: .file(10...19),
             contentRange: "bytes 10-19/1000"),
        Case(name: "suffix", conditions: .init(range: "bytes=-10"), status: 206, body: .file(990...999),
             contentRange: "bytes 990-999/1000"),
        Case(name: "open-ended", conditions: .init(range: "bytes=900-"), status: 206, body: .file(900...999),
             contentRange: "bytes 900-999/1000"),
        Case(name: "unsatisfiable", conditions: .init(range: "bytes=999999999999-"), status: 416, body: .none,
             contentRange: "bytes */1000"),
        Case(name: "invalid range ignored", conditions: .init(range: "bytes=x"), status: 200, body: .file(0...999)),
        Case(name: "If-None-Match hit", conditions: .init(ifNoneMatch: Substring(etag.quoted)), status: 304, body: .none),
        Case(name: "If-None-Match weak hit", conditions: .init(ifNoneMatch: Substring("\"x\", W/" + etag.quoted)),
             status: 304, body: .none),
        Case(name: "If-None-Match star", conditions: .init(ifNoneMatch: "*"), status: 304, body: .none),
        Case(name: "If-None-Match miss", conditions: .init(ifNoneMatch: "\"other\""), status: 200, body: .file(0...999)),
        Case(name: "If-None-Match wins over If-Modified-Since",
             conditions: .init(ifNoneMatch: "\"other\"", ifModifiedSince: Substring(lastModified)),
             status: 200, body: .file(0...999)),
        Case(name: "If-Modified-Since same", conditions: .init(ifModifiedSince: Substring(lastModified)),
             status: 304, body: .none),
        Case(name: "If-Modified-Since earlier", conditions: .init(ifModifiedSince: Substring(earlier)),
             status: 200, body: .file(0...999)),
        Case(name: "If-Modified-Since garbage", conditions: .init(ifModifiedSince: "yesterday"),
             status: 200, body: .file(0...999)),
        Case(name: "If-Range etag match", conditions: .init(range: "bytes=0-9", ifRange: Substring(etag.quoted)),
             status: 206, body: .file(0...9), contentRange: "bytes 0-9/1000"),
        Case(name: "If-Range etag mismatch", conditions: .init(range: "bytes=0-9", ifRange: "\"old\""),
             status: 200, body: .file(0...999)),
        Case(name: "If-Range weak never matches", conditions: .init(range: "bytes=0-9", ifRange: Substring("W/" + etag.quoted)),
             status: 200, body: .file(0...999)),
        Case(name: "If-Range date match", conditions: .init(range: "bytes=0-9", ifRange: Substring(lastModified)),
             status: 206, body: .file(0...9), contentRange: "bytes 0-9/1000"),
        Case(name: "If-Range date mismatch", conditions: .init(range: "bytes=0-9", ifRange: Substring(earlier)),
             status: 200, body: .file(0...999)),
        Case(name: "If-Match miss", conditions: .init(ifMatch: "\"other\""), status: 412, body: .none),
        Case(name: "If-Match hit", conditions: .init(ifMatch: Substring(etag.quoted)), status: 200, body: .file(0...999)),
        Case(name: "If-Unmodified-Since earlier", conditions: .init(ifUnmodifiedSince: Substring(earlier)),
             status: 412, body: .none),
        Case(name: "overlapping ranges coalesce", conditions: .init(range: "bytes=0-9,5-14,10-19"),
             status: 206, body: .file(0...19), contentRange: "bytes 0-19/1000"),
    ]

    @Test(arguments: cases)
    func decides(_ testCase: Case) {
        let response = FileResponse(attributes: Self.file, conditions: testCase.conditions, boundary: "B")
        #expect(response.status == testCase.status)
        #expect(response.body == testCase.body)
        #expect(response.header("Content-Range") == testCase.contentRange)
        #expect(response.header("ETag") == Self.etag.quoted)
        #expect(response.header("Last-Modified") == Self.lastModified)
        if testCase.status == 304 {
            #expect(response.header("Content-Length") == nil)
        } else {
            let expectedLength: UInt64 = switch response.body {
            case .none: testCase.conditions.isHead && testCase.status == 200 ? 1000 : 0
            case let .file(range): FileResponse.length(range)
            case .multipart: response.bodyLength
            }
            #expect(response.header("Content-Length") == String(expectedLength))
        }
    }

    @Test func multipartByteranges() {
        let response = FileResponse(attributes: Self.file, conditions: .init(range: "bytes=500-509,0-9"),
                                    boundary: "XYZ")
        #expect(response.status == 206)
        #expect(response.header("Content-Type") == "multipart/byteranges; boundary=XYZ")
        guard case let .multipart(parts, trailer) = response.body else {
            Issue.record("expected multipart")
            return
        }
        #expect(parts.map(\.range) == [0...9, 500...509])
        #expect(parts[0].header == "--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-9/1000\r\n\r\n")
        #expect(parts[1].header.hasPrefix("\r\n--XYZ\r\n"))
        #expect(trailer == "\r\n--XYZ--\r\n")
        let total = parts.reduce(UInt64(trailer.utf8.count)) { $0 + UInt64($1.header.utf8.count) + 10 }
        #expect(response.bodyLength == total)
        #expect(response.header("Content-Length") == String(total))
    }

    @Test func tooManyRangesServeTheWholeFile() {
        let header = "bytes=" + (0..<20).map { "\($0 * 100)-\($0 * 100)" }.joined(separator: ",")
        var big = Self.file
        big.size = 100_000
        let response = FileResponse(attributes: big, conditions: .init(range: Substring(header)), boundary: "B")
        #expect(response.status == 200)
        #expect(response.body == .file(0...99_999))
        let fewer = "bytes=" + (0..<16).map { "\($0 * 100)-\($0 * 100)" }.joined(separator: ",")
        #expect(FileResponse(attributes: big, conditions: .init(range: Substring(fewer)), boundary: "B").status == 206)
    }

    @Test func emptyFile() {
        let empty = FileResponse.Attributes(size: 0, modificationSeconds: 0, etag: Self.etag, contentType: "text/plain")
        #expect(FileResponse(attributes: empty, conditions: .init(), boundary: "B").body == .none)
        #expect(FileResponse(attributes: empty, conditions: .init(range: "bytes=0-"), boundary: "B").status == 416)
    }

    @Test func etagIsStrongAndDistinct() {
        let a = EntityTag(inode: 1, size: 2, modificationNanoseconds: 3)
        #expect(a.quoted == "\"1-2-3\"")
        #expect(a != EntityTag(inode: 2, size: 2, modificationNanoseconds: 3))
        #expect(a.strongMatches(" \"1-2-3\" "))
        #expect(!a.strongMatches("W/\"1-2-3\""))
    }
}
