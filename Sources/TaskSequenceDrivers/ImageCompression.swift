/// The compression of a disk image, told by its first bytes (issue 16 §4: raw, gzip, zstd, xz).
public enum ImageCompression: String, Sendable, Codable, CaseIterable {
    case raw, gzip, zstd, xz

    /// gzip `1f 8b` (RFC 1952), zstd frame `28 b5 2f fd` (RFC 8878), xz `fd 37 7a 58 5a 00`.
    public static func detect(_ prefix: [UInt8]) -> ImageCompression {
        if prefix.starts(with: [0x1F, 0x8B]) { return .gzip }
        if prefix.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if prefix.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        return .raw
    }
}
