import CCrypto

/// SHA-256 over a stream, through the system's libcrypto (OpenSSL EVP): the image is hashed
/// while it is written, never read twice unless a read-back verify is asked for.
public final class SHA256Stream {
    private let context: OpaquePointer

    public init?() {
        guard let context = EVP_MD_CTX_new() else { return nil }
        self.context = context
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            return nil
        }
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Zero bytes, hashed without a buffer of that size.
    public func updateZeros(_ count: Int) {
        let zeros = [UInt8](repeating: 0, count: min(count, 65536))
        var left = count
        zeros.withUnsafeBytes { buffer in
            while left > 0 {
                let n = min(left, buffer.count)
                EVP_DigestUpdate(context, buffer.baseAddress, n)
                left -= n
            }
        }
    }

    /// The digest as lowercase hex.
    public func finish() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
