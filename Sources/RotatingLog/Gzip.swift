import CZlib

/// gzip (RFC 1952) compression through zlib — the seed archives rotated logs "using the zlib
/// compression library" (seed admin guide L6391); the gzip wrapper (`windowBits` 15 + 16) makes
/// the archives readable by `zcat` and `gzip -t`.
public enum Gzip {
    public enum Failure: Error, CustomStringConvertible {
        case zlib(function: String, code: Int32)
        public var description: String {
            switch self {
            case let .zlib(function, code): "zlib \(function) failed with code \(code)"
            }
        }
    }

    /// `bytes` as one complete gzip member, at the default compression level.
    public static func compress(_ bytes: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) throws -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure.zlib(function: "deflateInit2", code: status) }
        defer { deflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        var input = bytes
        let result: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { throw Failure.zlib(function: "deflate", code: result) }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
