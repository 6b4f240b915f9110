extension String {
    /// Strict UTF-8: nil when `bytes` are not valid UTF-8 (no replacement characters).
    init?<C: Collection>(strictUTF8 bytes: C) where C.Element == UInt8 {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else { return nil }
        self = text
    }
}
