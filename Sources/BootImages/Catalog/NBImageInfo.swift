import Foundation
import NetbootWire

/// The declared content of one `NBImageInfo.plist`, read with the keys and defaults of Apple's
/// `NBImageEntry_create` (bootp `nbimages.c`; reference `bsdp-protocol-and-servers.md` §1.11).
///
/// Pure: a ``PropertyListValue`` in, either the values or every problem found out. Checks that
/// need the disk (boot file present, local root path) and host resolution happen in
/// ``ImageCatalogScanner``.
public struct NBImageInfo: Hashable, Sendable {
    public var name: String
    public var index: UInt16
    public var kind: UInt8
    public var isInstall: Bool
    public var isDefault: Bool
    public var isEnabled: Bool
    public var isFilterOnly: Bool
    public var type: ImageType
    public var bootFile: String
    public var architectures: [String]
    public var rootPath: String?
    public var enabledSystemIdentifiers: [String]
    public var disabledSystemIdentifiers: [String]
    public var enabledMACAddresses: [MACAddress]
    public var disabledMACAddresses: [MACAddress]
    public var supportsDiskless: Bool
    public var loadBalanceServer: String?
    public var imageDescription: String?
    public var language: String?
    public var osVersion: String?
    public var warnings: [String]

    /// Diagnostics kind: `FilterOnly` defaults to true for it.
    public static let diagnosticsKind: UInt8 = 3

    /// Interprets a decoded plist; the result's failure lists every problem (reasons only).
    public static func interpret(_ plist: PropertyListValue) -> Result<NBImageInfo, NBImageInfoErrors> {
        guard case let .dictionary(keys) = plist else {
            return .failure(NBImageInfoErrors(reasons: [.notADictionary(found: plist.typeName)]))
        }
        var reader = KeyReader(keys: keys)

        let isEnabled = reader.bool("IsEnabled", default: true)
        let isInstall = reader.bool("IsInstall", default: false)
        let isDefault = reader.bool("IsDefault", default: false)
        let supportsDiskless = reader.bool("SupportsDiskless", default: false)
        var isFilterOnly = reader.bool("FilterOnly", default: false)

        let name = reader.requiredString("Name")
        if let name, name.isEmpty { reader.reasons.append(.emptyName) }

        var index: UInt16?
        switch keys["Index"] {
        case nil: reader.reasons.append(.missingKey("Index"))
        case let .integer(value)?:
            if (1...65535).contains(value) { index = UInt16(value) } else {
                reader.reasons.append(.indexOutOfRange(String(value)))
            }
        case let .unsignedInteger(value)?: reader.reasons.append(.indexOutOfRange(String(value)))
        case let other?: reader.reasons.append(.wrongType(key: "Index", expected: "an Integer", found: other.typeName))
        }

        // Kind: a valid number wins; anything else falls back to the Type's default (Apple).
        var kind: UInt8?
        switch keys["Kind"] {
        case nil: break
        case let .integer(value)? where (0...127).contains(value): kind = UInt8(value)
        case let other?:
            reader.warnings.append("Kind \(other.shortDescription) is not an Integer 0...127; using the Type's default")
        }

        var type: ImageType?
        if let text = reader.requiredString("Type") {
            if let known = ImageType(rawValue: text) { type = known } else {
                reader.reasons.append(.unknownType(text))
            }
        }
        switch type {
        case .classic?: reader.reasons.append(.classicNotSupported)
        case .nfs?, .http?: kind = kind ?? 1
        case .bootFileOnly?: if kind == nil { reader.reasons.append(.kindRequired) }
        case nil: break
        }
        if kind == Self.diagnosticsKind, keys["FilterOnly"] == nil { isFilterOnly = true }

        let reasonsBeforeArchitectures = reader.reasons.count
        let architectures = reader.stringArray("Architectures", emptyAllowed: false) ?? ["ppc"]
        // An unreadable list falls back to `ppc` for the record, not for the disk checks.
        let checkableArchitectures = reader.reasons.count == reasonsBeforeArchitectures ? architectures : []
        for arch in architectures where !KeyReader.isSafeComponent(arch) {
            reader.reasons.append(.unsafePath(key: "Architectures", value: arch))
        }

        let bootFile = reader.requiredString("BootFile")
        if let bootFile, !KeyReader.isSafeRelativePath(bootFile) {
            reader.reasons.append(.unsafePath(key: "BootFile", value: bootFile))
        }

        var rootPath: String?
        if type == .nfs || type == .http {
            rootPath = reader.requiredString("RootPath")
        }

        let enabledSystems = reader.stringArray("EnabledSystemIdentifiers", emptyAllowed: true) ?? []
        let disabledSystems = reader.stringArray("DisabledSystemIdentifiers", emptyAllowed: true) ?? []
        let enabledMACs = reader.macArray("EnabledMACAddresses")
        let disabledMACs = reader.macArray("DisabledMACAddresses")
        let loadBalance = reader.optionalString("LoadBalanceServer")
        let imageDescription = reader.optionalString("Description")
        let language = reader.optionalString("Language")
        let osVersion = reader.optionalString("osVersion")

        guard reader.reasons.isEmpty, let name, let index, let kind, let type, let bootFile else {
            // What could be read still goes to the disk checks, so that every reason shows at once.
            let safeBootFile = bootFile.flatMap { KeyReader.isSafeRelativePath($0) ? $0 : nil }
            return .failure(NBImageInfoErrors(
                reasons: reader.reasons, bootFile: safeBootFile,
                architectures: checkableArchitectures.filter(KeyReader.isSafeComponent), type: type, rootPath: rootPath))
        }
        return .success(NBImageInfo(
            name: name, index: index, kind: kind, isInstall: isInstall, isDefault: isDefault,
            isEnabled: isEnabled, isFilterOnly: isFilterOnly, type: type, bootFile: bootFile,
            architectures: architectures, rootPath: rootPath,
            enabledSystemIdentifiers: enabledSystems, disabledSystemIdentifiers: disabledSystems,
            enabledMACAddresses: enabledMACs, disabledMACAddresses: disabledMACs,
            supportsDiskless: supportsDiskless, loadBalanceServer: loadBalance,
            imageDescription: imageDescription, language: language, osVersion: osVersion,
            warnings: reader.warnings))
    }
}

/// Every reason an `NBImageInfo.plist` was refused, in key order of the checks, with the values
/// that could still be read (so the scanner can add the disk checks' reasons: a wrong `Index`
/// must not hide a missing booter).
public struct NBImageInfoErrors: Error, Hashable, Sendable {
    public var reasons: [ImageProblem.Reason]
    /// `BootFile` when it was a safe relative path.
    public var bootFile: String?
    /// The safe `Architectures` (or the default `ppc`).
    public var architectures: [String]
    public var type: ImageType?
    public var rootPath: String?

    public init(reasons: [ImageProblem.Reason], bootFile: String? = nil, architectures: [String] = [],
                type: ImageType? = nil, rootPath: String? = nil) {
        self.reasons = reasons
        self.bootFile = bootFile
        self.architectures = architectures
        self.type = type
        self.rootPath = rootPath
    }
}

/// Typed key access that records problems and warnings instead of throwing.
struct KeyReader {
    let keys: [String: PropertyListValue]
    var reasons: [ImageProblem.Reason] = []
    var warnings: [String] = []

    /// Apple reads booleans only as CFBoolean; anything else silently means the default.
    /// We keep the default and say so.
    mutating func bool(_ key: String, default value: Bool) -> Bool {
        switch keys[key] {
        case nil: return value
        case let .bool(flag)?: return flag
        case let other?:
            warnings.append("\(key) is \(other.typeName) \(other.shortDescription), not a Boolean; using the default \(value)")
            return value
        }
    }

    mutating func requiredString(_ key: String) -> String? {
        switch keys[key] {
        case nil: reasons.append(.missingKey(key)); return nil
        case let .string(text)?: return text
        case let other?: reasons.append(.wrongType(key: key, expected: "a String", found: other.typeName)); return nil
        }
    }

    /// Descriptive strings Apple never reads: a wrong type is a warning.
    mutating func optionalString(_ key: String) -> String? {
        switch keys[key] {
        case nil: return nil
        case let .string(text)?: return text
        case let other?:
            warnings.append("\(key) is \(other.typeName), not a String; ignored")
            return nil
        }
    }

    /// An array of strings; nil when absent. Apple fails the image on a non-array or a
    /// non-string element; an empty `Architectures` fails too, other empty lists mean "no filter".
    mutating func stringArray(_ key: String, emptyAllowed: Bool) -> [String]? {
        switch keys[key] {
        case nil: return nil
        case let .array(elements)?:
            if elements.isEmpty, !emptyAllowed { reasons.append(.emptyArray(key: key)); return nil }
            var strings: [String] = []
            for (position, element) in elements.enumerated() {
                guard case let .string(text) = element else {
                    reasons.append(.badArrayElement(key: key, position: position, found: element.typeName))
                    return nil
                }
                strings.append(text)
            }
            return strings
        case let other?:
            reasons.append(.wrongType(key: key, expected: "an Array of Strings", found: other.typeName))
            return nil
        }
    }

    mutating func macArray(_ key: String) -> [MACAddress] {
        guard let strings = stringArray(key, emptyAllowed: true) else { return [] }
        var macs: [MACAddress] = []
        for text in strings {
            guard let mac = Self.parseMAC(text) else {
                reasons.append(.badMACAddress(key: key, value: String(text.prefix(40))))
                continue
            }
            macs.append(mac)
        }
        return macs
    }

    /// `ether_aton` forms as Apple accepts them (`0:1b:63:a:b:c`, one or two hex digits per
    /// octet), plus the strict forms of ``MACAddress``.
    static func parseMAC(_ text: String) -> MACAddress? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 6 {
            var bytes: [UInt8] = []
            for part in parts {
                guard (1...2).contains(part.count), let byte = UInt8(part, radix: 16) else { return nil }
                bytes.append(byte)
            }
            return MACAddress(bytes: bytes)
        }
        return MACAddress(trimmed)
    }

    /// One path component: not empty, no `/`, not `.` or `..`, no NUL.
    static func isSafeComponent(_ text: String) -> Bool {
        !text.isEmpty && text != "." && text != ".." && !text.contains("/") && !text.contains("\0")
    }

    /// A relative path whose components are all safe (served by TFTP/HTTP, so no escape).
    static func isSafeRelativePath(_ text: String) -> Bool {
        guard !text.hasPrefix("/") else { return false }
        return text.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { isSafeComponent(String($0)) }
    }
}
