import CLzma
import CZlib
import CZstd

/// A streaming decompressor: compressed chunks in, raw chunks out to `sink`, through one
/// reused output buffer (no copies besides the library's own).
public protocol StreamDecoder: AnyObject {
    /// Decodes `input`; every produced chunk goes to `sink`, in order.
    func decode(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws
    /// The input ended: flushes what is left, and throws if the stream was cut short.
    func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws
}

public struct DecodeFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
}

public enum StreamDecoders {
    public static func make(_ compression: ImageCompression, bufferSize: Int = 1 << 20) throws -> any StreamDecoder {
        switch compression {
        case .raw: return RawDecoder()
        case .gzip: return try GzipDecoder(bufferSize: bufferSize)
        case .zstd: return try ZstdDecoder(bufferSize: bufferSize)
        case .xz: return try XzDecoder(bufferSize: bufferSize)
        }
    }
}

final class RawDecoder: StreamDecoder {
    func decode(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if input.count > 0 { try sink(input) }
    }
    func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {}
}

/// gzip through zlib (`windowBits` 15 + 32: gzip or zlib header, detected); concatenated
/// members are decoded one after the other, as `gzip -d` does.
final class GzipDecoder: StreamDecoder {
    private var stream = z_stream()
    private let output: UnsafeMutableRawBufferPointer
    private var ended = false
    private var started = false

    init(bufferSize: Int) throws {
        output = .allocate(byteCount: bufferSize, alignment: 4096)
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            output.deallocate()
            throw DecodeFailure(description: "zlib could not start")
        }
    }

    deinit {
        inflateEnd(&stream)
        output.deallocate()
    }

    func decode(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        while stream.avail_in > 0 {
            if ended {
                // Another gzip member follows.
                guard inflateReset(&stream) == Z_OK else { throw DecodeFailure(description: "gzip: cannot reset for the next member") }
                ended = false
            }
            started = true
            stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(output.count)
            let code = inflate(&stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            switch code {
            case Z_OK: continue
            case Z_STREAM_END: ended = true
            case Z_BUF_ERROR where produced > 0: continue
            default: throw DecodeFailure(description: "gzip data is corrupt (zlib \(code))")
            }
        }
    }

    func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard ended || !started else { throw DecodeFailure(description: "gzip stream ends early (truncated image)") }
    }
}

/// zstd through libzstd's streaming API; concatenated frames are decoded in turn.
final class ZstdDecoder: StreamDecoder {
    private let stream: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    /// 0 after a frame ended (ZSTD_decompressStream's return), non-zero inside a frame.
    private var pending = 0
    private var started = false

    init(bufferSize: Int) throws {
        guard let stream = ZSTD_createDStream() else { throw DecodeFailure(description: "zstd could not start") }
        self.stream = stream
        output = .allocate(byteCount: bufferSize, alignment: 4096)
        ZSTD_initDStream(stream)
    }

    deinit {
        ZSTD_freeDStream(stream)
        output.deallocate()
    }

    func decode(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        started = true
        var inBuffer = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        repeat {
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let code = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
            if ZSTD_isError(code) != 0 {
                throw DecodeFailure(description: "zstd data is corrupt (\(String(cString: ZSTD_getErrorName(code))))")
            }
            pending = code
            if outBuffer.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<outBuffer.pos])) }
            // A frame ended with all input used: done. (Calling again would return the next
            // frame's header size as a hint, which is not "truncated".)
            if code == 0, inBuffer.pos >= inBuffer.size { break }
            // Keep going while input is left or the output buffer was filled (more may be buffered).
            if inBuffer.pos >= inBuffer.size, outBuffer.pos < outBuffer.size { break }
        } while true
    }

    func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !started || pending == 0 else { throw DecodeFailure(description: "zstd stream ends early (truncated image)") }
    }
}

/// xz through liblzma (`lzma_stream_decoder`, concatenated streams allowed).
final class XzDecoder: StreamDecoder {
    private var stream = lzma_stream()
    private let output: UnsafeMutableRawBufferPointer

    init(bufferSize: Int) throws {
        output = .allocate(byteCount: bufferSize, alignment: 4096)
        let concatenated: UInt32 = 0x08  // LZMA_CONCATENATED: decode every .xz stream of the file
        guard lzma_stream_decoder(&stream, UInt64.max, concatenated) == LZMA_OK else {
            output.deallocate()
            throw DecodeFailure(description: "liblzma could not start")
        }
    }

    deinit {
        lzma_end(&stream)
        output.deallocate()
    }

    private func run(_ action: lzma_action, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> lzma_ret {
        while true {
            stream.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = output.count
            let code = lzma_code(&stream, action)
            let produced = output.count - stream.avail_out
            if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            switch code {
            case LZMA_OK:
                if stream.avail_in == 0, stream.avail_out > 0 { return code }
            case LZMA_STREAM_END:
                return code
            case LZMA_BUF_ERROR where action == LZMA_FINISH:
                throw DecodeFailure(description: "xz stream ends early (truncated image)")
            default:
                throw DecodeFailure(description: "xz data is corrupt (liblzma \(code.rawValue))")
            }
        }
    }

    func decode(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.next_in = base.assumingMemoryBound(to: UInt8.self)
        stream.avail_in = input.count
        _ = try run(LZMA_RUN, sink: sink)
    }

    func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.next_in = nil
        stream.avail_in = 0
        let code = try run(LZMA_FINISH, sink: sink)
        guard code == LZMA_STREAM_END else { throw DecodeFailure(description: "xz stream ends early (truncated image)") }
    }
}
