/// The `Content-Type` for a served file, chosen from its name (RFC 9110 §8.3).
///
/// Boot payloads first: Apple disk images, EFI applications, kernels and initrds, iPXE
/// scripts; then the common text and image types. Unknown names are
/// `application/octet-stream`, which every boot client accepts.
public enum MediaType {
    /// The fallback for names without a known extension (kernels, initrds, `.img`, `.wim`…).
    public static let octetStream = "application/octet-stream"

    /// Lowercased extension → media type. iPXE scripts are `text/plain`: iPXE recognises a
    /// script by its `#!ipxe` magic, not by the media type, and browsers and curl show them.
    public static let byExtension: [String: String] = [
        "dmg": "application/x-apple-diskimage",
        "efi": "application/efi",
        "ipxe": "text/plain; charset=utf-8",
        "plist": "application/x-plist",
        "iso": "application/x-iso9660-image",
        "img": octetStream,
        "wim": "application/x-ms-wim",
        "pxe": octetStream, "kpxe": octetStream, "lkrn": octetStream,
        "chunklist": octetStream, "kernelcache": octetStream, "cpio": octetStream,
        "squashfs": octetStream, "bin": octetStream, "qcow2": octetStream, "vhd": octetStream,
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "txt": "text/plain; charset=utf-8", "cfg": "text/plain; charset=utf-8",
        "conf": "text/plain; charset=utf-8", "sh": "text/x-shellscript; charset=utf-8",
        "log": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "json": "application/json", "xml": "application/xml",
        "yaml": "application/yaml", "yml": "application/yaml",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "svg": "image/svg+xml", "ico": "image/vnd.microsoft.icon",
        "gz": "application/gzip", "tgz": "application/gzip", "xz": "application/x-xz",
        "zst": "application/zstd", "bz2": "application/x-bzip2", "tar": "application/x-tar",
        "zip": "application/zip", "pkg": octetStream, "mpkg": octetStream,
        "pem": "application/x-pem-file", "sig": "application/pgp-signature",
    ]

    /// The media type for a file name (the last path component): its extension after the last
    /// `.` (not a leading one), ASCII letters folded to lowercase. Kernels and initrds
    /// (`vmlinuz`, `initrd.img`, `bzImage`…) land on `application/octet-stream`.
    public static func forFileName(_ name: String) -> String {
        let utf8 = name.utf8
        guard let dot = utf8.lastIndex(of: UInt8(ascii: ".")), dot != utf8.startIndex else { return octetStream }
        let ext = utf8[utf8.index(after: dot)...]
        guard !ext.isEmpty, ext.count <= 16 else { return octetStream }
        let key = ext.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
            ? String(decoding: ext.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
            : String(Substring(ext))
        return byExtension[key] ?? octetStream
    }
}
