import BootServices
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The file side of a request, worked out in one go where the files are opened (a pool thread
/// or the event loop): open, `fstat`, the ``FileResponse`` decision, and for small bodies the
/// bytes themselves, so the event loop only writes.
///
/// Bodies up to `inlineLimit` bytes (``HTTPService/Options/inlineBodyLimit``) leave in the same
/// `write` as the head (one syscall, one segment): with `readSmallBodies` (on a pool thread)
/// they are read here, otherwise the caller reads them with ``read(_:range:into:)`` straight
/// after the head it has written. Larger ones keep the descriptor and go out with `sendfile`
/// through `FileRegion`.
enum HTTPFileLookup: Sendable {
    enum Body: Sendable {
        case none
        case bytes(ByteBuffer)
        /// The open file (shared with the opener's cache; closed when the last holder lets go).
        case descriptor(HTTPOpenFile)
    }

    case response(FileResponse, Body)
    case redirect
    case listing([String])
    case status(Int)

    static func perform(opener: HTTPFileOpener, target: RequestTarget, conditions: FileResponse.Conditions,
                        directoryListing: Bool, maxRanges: Int, inlineLimit: UInt64,
                        readSmallBodies: Bool = true) -> HTTPFileLookup {
        switch opener.open(segments: target.segments) {
        case let .file(file, attributes):
            // `/file/` names a directory that is not there (POSIX: ENOTDIR; nginx answers 404).
            guard !target.isDirectory else { return .status(404) }
            return respond(file: file, attributes: attributes, conditions: conditions, maxRanges: maxRanges,
                           inlineLimit: readSmallBodies ? inlineLimit : nil)
        case .notFound: return .status(404)
        case .forbidden: return .status(403)
        case .failed: return .status(500)
        case let .directory(realPath):
            guard target.isDirectory else { return .redirect }
            switch opener.open(segments: target.segments + ["index.html"]) {
            case let .file(file, attributes):
                return respond(file: file, attributes: attributes, conditions: conditions, maxRanges: maxRanges,
                               inlineLimit: readSmallBodies ? inlineLimit : nil)
            case .directory, .forbidden:
                return .status(403)
            case .notFound, .failed:
                guard directoryListing, let names = opener.listing(realPath: realPath) else { return .status(403) }
                return .listing(names)
            }
        }
    }

    private static func respond(file: HTTPOpenFile, attributes: FileResponse.Attributes, conditions: FileResponse.Conditions,
                                maxRanges: Int, inlineLimit: UInt64?) -> HTTPFileLookup {
        // A boundary only when several ranges may be answered (getrandom is not free).
        let boundary = conditions.range?.utf8.contains(UInt8(ascii: ",")) == true
            ? "netboot-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) : "netboot"
        let plan = FileResponse(attributes: attributes, conditions: conditions, maxRanges: maxRanges, boundary: boundary)
        switch plan.body {
        case .none:
            return .response(plan, .none)
        case let .file(range) where inlineLimit.map({ FileResponse.length(range) <= $0 }) ?? false:
            var buffer = ByteBufferAllocator().buffer(capacity: Int(FileResponse.length(range)))
            let complete = read(file.descriptor, range: range, into: &buffer)
            // The file shrank under us: fail rather than send fewer bytes than Content-Length.
            return complete ? .response(plan, .bytes(buffer)) : .status(500)
        case .file, .multipart:
            return .response(plan, .descriptor(file))
        }
    }

    /// `pread`s `range` of `fd` onto the end of `buffer`; false (and `buffer` unchanged) when
    /// the file ended first.
    static func read(_ fd: CInt, range: ClosedRange<UInt64>, into buffer: inout ByteBuffer) -> Bool {
        let count = Int(FileResponse.length(range))
        let start = buffer.writerIndex
        let done = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            var done = 0
            while done < count {
                let n = pread(fd, pointer.baseAddress.map { $0 + done }, count - done,
                              off_t(range.lowerBound) + off_t(done))
                if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
            return done
        }
        guard done == count else {
            buffer.moveWriterIndex(to: start)
            return false
        }
        return true
    }
}
