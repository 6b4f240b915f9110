/// Why an `.nbi` folder was skipped: the folder plus one reason. A folder may have several.
///
/// The reasons follow the checks of Apple's `NBImageEntry_create` (bootp `nbimages.c`, reference
/// `bsdp-protocol-and-servers.md` §1.11) plus the appliance's own path-safety checks.
public struct ImageProblem: Hashable, Sendable, Codable, CustomStringConvertible {
    public var folder: String
    public var reason: Reason

    public init(folder: String, reason: Reason) {
        self.folder = folder
        self.reason = reason
    }

    public enum Reason: Error, Hashable, Sendable, Codable {
        case plistMissing
        case plistUnreadable(String)
        case plistInvalid(String)
        case notADictionary(found: String)
        case missingKey(String)
        case wrongType(key: String, expected: String, found: String)
        case emptyName
        case indexOutOfRange(String)
        case unknownType(String)
        case classicNotSupported
        case kindRequired
        case emptyArray(key: String)
        case badArrayElement(key: String, position: Int, found: String)
        case badMACAddress(key: String, value: String)
        case unsafePath(key: String, value: String)
        case bootFileMissing(path: String)
        case rootPathNotFound(String)
        case hostUnresolved(key: String, host: String)
        case duplicateID(id: UInt32, keptFolder: String)
    }

    /// A short stable code for JSON output and tests (`missing-key`, `duplicate-id`, …).
    public var code: String {
        switch reason {
        case .plistMissing: "plist-missing"
        case .plistUnreadable: "plist-unreadable"
        case .plistInvalid: "plist-invalid"
        case .notADictionary: "not-a-dictionary"
        case .missingKey: "missing-key"
        case .wrongType: "wrong-type"
        case .emptyName: "empty-name"
        case .indexOutOfRange: "index-out-of-range"
        case .unknownType: "unknown-type"
        case .classicNotSupported: "classic-not-supported"
        case .kindRequired: "kind-required"
        case .emptyArray: "empty-array"
        case .badArrayElement: "bad-array-element"
        case .badMACAddress: "bad-mac-address"
        case .unsafePath: "unsafe-path"
        case .bootFileMissing: "boot-file-missing"
        case .rootPathNotFound: "root-path-not-found"
        case .hostUnresolved: "host-unresolved"
        case .duplicateID: "duplicate-id"
        }
    }

    /// The reason in words, without the folder.
    public var message: String {
        switch reason {
        case .plistMissing: "no NBImageInfo.plist"
        case let .plistUnreadable(detail): "NBImageInfo.plist cannot be read: \(detail)"
        case let .plistInvalid(detail): "NBImageInfo.plist: \(detail)"
        case let .notADictionary(found): "NBImageInfo.plist holds a \(found), not a dictionary"
        case let .missingKey(key): "missing key \(key)"
        case let .wrongType(key, expected, found): "\(key) must be \(expected), found \(found)"
        case .emptyName: "Name is empty"
        case let .indexOutOfRange(value): "Index \(value) is outside 1...65535"
        case let .unknownType(value): "Type \"\(value)\" is not Classic, NFS, HTTP or BootFileOnly"
        case .classicNotSupported: "Type Classic (Mac OS 9 over AFP) needs diskless AFP resources, which this server does not provide"
        case .kindRequired: "Type BootFileOnly needs a Kind of 0...127"
        case let .emptyArray(key): "\(key) is an empty array"
        case let .badArrayElement(key, position, found): "\(key)[\(position)] must be a String, found \(found)"
        case let .badMACAddress(key, value): "\(key) entry \"\(value)\" is not a MAC address"
        case let .unsafePath(key, value): "\(key) \"\(value)\" must be a relative path without '..'"
        case let .bootFileMissing(path): "boot file \(path) does not exist"
        case let .rootPathNotFound(value): "RootPath \"\(RootPath.redacting(value))\" is neither a file in the folder nor a valid indirect path"
        case let .hostUnresolved(key, host): "\(key) host \"\(host)\" does not resolve to an IPv4 address"
        case let .duplicateID(id, kept): "image id \(NetBootImage.hex(id)) is already used by \(kept)"
        }
    }

    public var description: String { "\(folder): \(message)" }
}
