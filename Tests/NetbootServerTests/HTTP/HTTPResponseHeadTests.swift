import BootServices
import Foundation
import NIOCore
import Testing

@testable import NetbootServer
import TestSupport

/// The one-pass response-head writer: exact bytes for each kind of answer, and for any
/// FileResponse a head that is well-formed and agrees with the plan's own field list.
@Suite struct HTTPResponseHeadTests {
    static let date = "Tue, 24 Nov 2026 22:49:25 GMT"
    static let etag = EntityTag(inode: 0xfa, size: 4096, modificationNanoseconds: 17)
    static let file = FileResponse.Attributes(size: 4_194_304, modificationSeconds: 1_700_000_000, etag: etag,
                                              contentType: "application/octet-stream")

    static func written(_ plan: FileResponse, minorVersion: UInt8 = 1, keepAlive: Bool = true) -> String {
        var buffer = ByteBuffer()
        HTTPResponseHead(status: plan.status, minorVersion: minorVersion, keepAlive: keepAlive, date: date)
            .write(plan, into: &buffer)
        return String(buffer: buffer)
    }

    @Test func rangeAnswer() {
        let plan = FileResponse(attributes: Self.file, conditions: .init(range: "bytes=1048576-1052671"), boundary: "B")
        #expect(Self.written(plan) == """
            HTTP/1.1 206 Partial Content\r
            Server: netboot\r
            Date: \(Self.date)\r
            Content-Type: application/octet-stream\r
            Accept-Ranges: bytes\r
            ETag: "fa-1000-11"\r
            Last-Modified: \(plan.lastModified)\r
            Content-Range: bytes 1048576-1052671/4194304\r
            Content-Length: 4096\r
            \r

            """)
    }

    @Test func connectionFieldFollowsTheVersion() {
        let plan = FileResponse(attributes: Self.file, conditions: .init(isHead: true), boundary: "B")
        let close = Self.written(plan, keepAlive: false)
        #expect(close.hasPrefix("HTTP/1.1 200 OK\r\n") && close.contains("\r\nConnection: close\r\n"))
        let old = Self.written(plan, minorVersion: 0)
        #expect(old.hasPrefix("HTTP/1.0 200 OK\r\n") && old.contains("\r\nConnection: keep-alive\r\n"))
        #expect(!Self.written(plan).contains("Connection:"))
        let oldClose = Self.written(plan, minorVersion: 0, keepAlive: false)
        #expect(oldClose.contains("\r\nConnection: close\r\n"))
    }

    @Test func unsatisfiableAndNotModified() {
        let unsatisfiable = Self.written(FileResponse(attributes: Self.file, conditions: .init(range: "bytes=9999999999-"),
                                                      boundary: "B"))
        #expect(unsatisfiable.hasPrefix("HTTP/1.1 416 Range Not Satisfiable\r\n"))
        #expect(unsatisfiable.contains("\r\nContent-Range: bytes */4194304\r\nContent-Length: 0\r\n\r\n"))
        let notModified = Self.written(FileResponse(attributes: Self.file,
                                                    conditions: .init(ifNoneMatch: Substring(Self.etag.quoted)),
                                                    boundary: "B"))
        #expect(notModified.hasPrefix("HTTP/1.1 304 Not Modified\r\n") && !notModified.contains("Content-Length"))
    }

    @Test func textAnswers() {
        var buffer = ByteBuffer()
        HTTPResponseHead(status: 405, minorVersion: 1, keepAlive: false, date: Self.date)
            .write(fields: [("Allow", "GET, HEAD")], contentType: "text/plain; charset=utf-8", contentLength: 23,
                   into: &buffer)
        #expect(String(buffer: buffer) == """
            HTTP/1.1 405 Method Not Allowed\r
            Server: netboot\r
            Date: \(Self.date)\r
            Connection: close\r
            Allow: GET, HEAD\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Length: 23\r
            \r

            """)
        #expect(HTTPResponseHead.statusText(405) == "405 Method Not Allowed\n")
        #expect(HTTPResponseHead.statusText(299) == "299\n")
        for status in [200, 206, 301, 304, 400, 403, 404, 405, 408, 412, 414, 416, 431, 500, 501, 503, 505] {
            #expect(HTTPResponseHead.statusLine(status)?.description.hasPrefix(String(status) + " ") == true)
        }
    }

    @Test(arguments: [UInt64(0), 9, 10, 99, 100, 4096, 1 << 32, UInt64.max])
    func decimals(_ value: UInt64) {
        var buffer = ByteBuffer()
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { memory in
            var out = HTTPHeadBytes(memory)
            out.append(decimal: value)
            return out.count
        }
        #expect(String(buffer: buffer) == String(value))
    }

    @Test func bytesNeverOverrunTheirRegion() {
        var storage = [UInt8](repeating: 0, count: 8)
        storage.withUnsafeMutableBytes { memory in
            var out = HTTPHeadBytes(UnsafeMutableRawBufferPointer(rebasing: memory[0..<5]))
            out.append("abc")
            out.append("defgh")  // does not fit: dropped
            out.append(decimal: 12)
            #expect(out.count == 5)
        }
        #expect(storage == Array("abc12".utf8) + [0, 0, 0])
    }

    /// Any plan: the head parses back (status line, `name: value` lines, empty line) into the
    /// plan's own field list, with the common fields in front.
    @Test func everyPlanRoundTrips() {
        var generator = SplitMix64(seed: 0x4845_4144)
        let ranges = ["bytes=0-0", "bytes=-5", "bytes=10-", "bytes=0-9,20-29", "bytes=99999999999-", "bytes=x", ""]
        for _ in 0..<500 {
            let size = UInt64.random(in: 0...(1 << 40), using: &generator)
            let attributes = FileResponse.Attributes(size: size, modificationSeconds: 1_700_000_000, etag: Self.etag,
                                                     contentType: "text/plain; charset=utf-8")
            var conditions = FileResponse.Conditions(isHead: Bool.random(using: &generator))
            let range = ranges.randomElement(using: &generator) ?? ""
            if !range.isEmpty { conditions.range = Substring(range) }
            if Bool.random(using: &generator) { conditions.ifNoneMatch = Substring(Self.etag.quoted) }
            let plan = FileResponse(attributes: attributes, conditions: conditions, boundary: "b0undary")
            let text = Self.written(plan)
            #expect(text.hasSuffix("\r\n\r\n"))
            var lines = text.components(separatedBy: "\r\n")
            #expect(lines.suffix(2) == ["", ""])  // the head ends with an empty line
            lines.removeLast(2)
            #expect(lines.removeFirst().hasPrefix("HTTP/1.1 \(plan.status) "))
            let names: [String] = lines.map { String($0.prefix { $0 != ":" }) }
            #expect(Array(names.prefix(2)) == ["Server", "Date"])
            let expected: [String] = plan.headers.map { field in field.0 + ": " + field.1 }
            #expect(Array(lines.dropFirst(2)) == expected)
        }
    }
}

