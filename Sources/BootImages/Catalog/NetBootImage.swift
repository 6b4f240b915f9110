import NetbootWire

/// One Apple NetBoot image: a `<name>.nbi` folder whose `NBImageInfo.plist` passed validation.
///
/// The values mirror Apple's `NBImageEntry` (bootp `bootplib/nbimages.c`; reference
/// `bsdp-protocol-and-servers.md` §1.11); the identifier follows the BSDP `boot_image_id`
/// layout of §1.5. Built only by ``ImageCatalogScanner``; every field is plain data.
public struct NetBootImage: Hashable, Sendable, Codable {
    /// Folder name inside the images directory, e.g. `Mojave.nbi`.
    public var folder: String
    /// Menu name (`Name`), UTF-8.
    public var name: String
    /// `Index`, 1…65535: 1–4095 server-local, 4096–65535 global (§1.5).
    public var index: UInt16
    /// `Kind`, 0…127: 0 Mac OS 9, 1 Mac OS X, 2 Mac OS X Server, 3 Hardware Diagnostics.
    public var kind: UInt8
    /// `IsInstall`: sets the install bit of the image id.
    public var isInstall: Bool
    /// `IsDefault`.
    public var isDefault: Bool
    /// `IsEnabled`; disabled images are kept in the catalog (for `images list` and `explain`)
    /// but are never offered.
    public var isEnabled: Bool
    /// `FilterOnly`: offered only to clients that send an attribute filter list naming it.
    public var isFilterOnly: Bool
    /// `Type`.
    public var type: ImageType
    /// `BootFile`, the booter's file name inside `<arch>/`.
    public var bootFile: String
    /// `Architectures` (default `["ppc"]`).
    public var architectures: [String]
    /// Architectures whose boot file sits at the top of the folder (Apple allows it for `ppc`).
    public var topLevelBootFileArchitectures: [String]
    /// `RootPath`, resolved (nil for `BootFileOnly`).
    public var rootPath: RootPath?
    /// `EnabledSystemIdentifiers` (empty = every model).
    public var enabledSystemIdentifiers: [String]
    /// `DisabledSystemIdentifiers` (empty = none). Apple's server ignores this key; we honour it.
    public var disabledSystemIdentifiers: [String]
    /// `EnabledMACAddresses` (empty = every client).
    public var enabledMACAddresses: [MACAddress]
    /// `DisabledMACAddresses`; takes precedence over the enabled list.
    public var disabledMACAddresses: [MACAddress]
    /// `SupportsDiskless` as written. The appliance serves no AFP shadow, so it is informative.
    public var supportsDiskless: Bool
    /// `LoadBalanceServer` resolved to an address: replaces `siaddr` and the root path host.
    public var loadBalanceServer: IPv4Address?
    /// Descriptive keys Apple's server does not read (`Description`, `Language`, `osVersion`).
    public var imageDescription: String?
    public var language: String?
    public var osVersion: String?
    /// Non-fatal findings from validation (a key of the wrong type that fell back to its default…).
    public var warnings: [String]

    /// The 16-bit attributes: install bit 0x8000, kind in bits 14…8 (§1.5).
    public var attributes: UInt16 {
        (isInstall ? 0x8000 : 0) | UInt16(kind & 0x7F) << 8
    }

    /// The 32-bit BSDP `boot_image_id` (§1.5): install 0x80000000, kind in bits 30…24, index in
    /// the low 16 bits. This is the one conversion point to the wire codec's `BootImageID`.
    public var bootImageIDValue: UInt32 {
        UInt32(attributes) << 16 | UInt32(index)
    }

    /// The id printed as `0x81000010`.
    public var idText: String { Self.hex(bootImageIDValue) }

    /// The kind's name from the BSDP spec.
    public var kindName: String { Self.kindName(kind) }

    /// The boot file's path relative to the images directory for a client architecture, e.g.
    /// `Mojave.nbi/i386/booter`; nil when the image does not support that architecture.
    public func bootFilePath(architecture: String) -> String? {
        guard architectures.contains(architecture) else { return nil }
        if topLevelBootFileArchitectures.contains(architecture) { return folder + "/" + bootFile }
        return folder + "/" + architecture + "/" + bootFile
    }

    public static func kindName(_ kind: UInt8) -> String {
        switch kind {
        case 0: "Mac OS 9"
        case 1: "Mac OS X"
        case 2: "Mac OS X Server"
        case 3: "Hardware Diagnostics"
        default: "reserved kind \(kind)"
        }
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

/// `Type` of an `NBImageInfo.plist`: how the root file system reaches the client.
public enum ImageType: String, Hashable, Sendable, CaseIterable, Codable {
    /// Mac OS 9 over AFP with shadow files; needs diskless AFP resources (not served here).
    case classic = "Classic"
    /// Root disk image mounted over NFS (option 17 `nfs:…`).
    case nfs = "NFS"
    /// Root disk image fetched over HTTP (option 17 `http://…`).
    case http = "HTTP"
    /// Only a boot file (for example iPXE chainloading); no root path.
    case bootFileOnly = "BootFileOnly"
}

/// Where an image's root disk image lives (reference §1.7 and `nbimages.c` parse helpers).
public enum RootPath: Hashable, Sendable, Codable {
    /// A file inside the `.nbi` folder, served by this appliance (`NetInstall.dmg`).
    case local(file: String)
    /// An NFS export elsewhere: `nfs:<ip>:<mount>[:<image>]` (host resolved at scan time).
    case nfs(host: IPv4Address, mount: String, image: String?)
    /// An HTTP URL elsewhere: `http://[user:password@]<ip>[:port]/<path>` (host resolved).
    case http(host: IPv4Address, port: UInt16?, user: String?, password: String?, path: String)

    /// The option-17 text for an indirect root path, with the password in clear (for the wire
    /// only); nil for a local file, whose URL depends on the serving address.
    public var indirectOptionText: String? {
        switch self {
        case .local: return nil
        case let .nfs(host, mount, image):
            return "nfs:\(host):\(mount)" + (image.map { ":" + $0 } ?? "")
        case let .http(host, port, user, password, path):
            let credentials = user.map { "\($0):\(password ?? "")@" } ?? ""
            return "http://\(credentials)\(host)\(port.map { ":\($0)" } ?? "")/\(path)"
        }
    }

    /// The text for logs, lists and JSON: any password replaced by `***`.
    public var displayText: String {
        switch self {
        case let .local(file): return file
        case .nfs: return indirectOptionText ?? ""
        case let .http(host, port, user, _, path):
            let credentials = user.map { "\($0):***@" } ?? ""
            return "http://\(credentials)\(host)\(port.map { ":\($0)" } ?? "")/\(path)"
        }
    }

    /// `text` with the password of any `scheme://user:password@` replaced by `***`.
    public static func redacting(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"),
              let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<rest.index(after: colon)]) + "***" + String(rest[at...])
    }
}
