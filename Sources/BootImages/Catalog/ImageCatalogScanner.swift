import Foundation
import NetbootWire

/// Reads the `.nbi` folders of an images directory into an ``ImageCatalog``.
///
/// This is the only part of the catalog that touches the disk, always through an
/// ``ImageFileSystem``; hosts are resolved through a ``HostResolving``. A folder that fails any
/// check is reported in ``ImageCatalog/problems`` with every reason and skipped; nothing in a
/// folder can make the scan trap. Rescans (SIGHUP, `netboot images rescan`) simply scan again
/// and compare catalogs with ``CatalogChange``.
public struct ImageCatalogScanner: Sendable {
    public static let infoPlistName = "NBImageInfo.plist"
    public static let folderSuffix = ".nbi"

    public var fileSystem: any ImageFileSystem
    public var resolver: any HostResolving

    public init(fileSystem: any ImageFileSystem = LocalFileSystem(),
                resolver: any HostResolving = LiteralHostResolver()) {
        self.fileSystem = fileSystem
        self.resolver = resolver
    }

    public func scan(directory: String) -> ImageCatalog {
        guard let entries = fileSystem.directoryEntries(at: directory) else {
            return ImageCatalog(directory: directory, directoryError: "\(directory) is not a readable directory")
        }
        let folders = entries
            .filter { $0.hasSuffix(Self.folderSuffix) && $0.count > Self.folderSuffix.count }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var scanned: [NetBootImage] = []
        var problems: [ImageProblem] = []
        for folder in folders {
            let path = directory + "/" + folder
            guard fileSystem.kind(at: path) == .directory else { continue }
            switch image(folder: folder, path: path) {
            case let .success(image): scanned.append(image)
            case let .failure(errors):
                problems += errors.reasons.map { ImageProblem(folder: folder, reason: $0) }
            }
        }
        let ordered = ImageCatalog.ordered(scanned)
        problems += ordered.problems
        // By folder, keeping each folder's reasons in check order (tie-break on position).
        problems = problems.enumerated().sorted { left, right in
            left.element.folder == right.element.folder ? left.offset < right.offset
                : left.element.folder.utf8.lexicographicallyPrecedes(right.element.folder.utf8)
        }.map(\.element)
        return ImageCatalog(directory: directory, images: ordered.images, problems: problems, notes: ordered.notes)
    }

    /// Reads and checks one folder.
    public func image(folder: String, path: String) -> Result<NetBootImage, NBImageInfoErrors> {
        let plistPath = path + "/" + Self.infoPlistName
        let data: Data
        do {
            data = try fileSystem.read(plistPath, limit: PropertyListValue.maximumSize)
        } catch .missing {
            return .failure(NBImageInfoErrors(reasons: [.plistMissing]))
        } catch {
            return .failure(NBImageInfoErrors(reasons: [.plistUnreadable(error.description)]))
        }
        let plist: PropertyListValue
        do {
            plist = try PropertyListValue.decode(data)
        } catch {
            return .failure(NBImageInfoErrors(reasons: [.plistInvalid(error.description)]))
        }
        let info: NBImageInfo
        switch NBImageInfo.interpret(plist) {
        case let .success(value): info = value
        case var .failure(errors):
            // The disk checks still run on what could be read: every reason at once.
            if let bootFile = errors.bootFile {
                errors.reasons += bootFileCheck(bootFile, architectures: errors.architectures, folder: folder, path: path).reasons
            }
            if let text = errors.rootPath, let type = errors.type, case let .failure(reason) = rootPathCheck(text, type: type, path: path) {
                errors.reasons.append(reason)
            }
            return .failure(errors)
        }
        return checkOnDisk(info, folder: folder, path: path)
    }

    /// The boot file must exist for every architecture (`<arch>/<BootFile>`; for `ppc` also at
    /// the folder's top level). Returns the reasons and the architectures found at top level.
    func bootFileCheck(_ bootFile: String, architectures: [String], folder: String, path: String)
        -> (reasons: [ImageProblem.Reason], topLevel: [String]) {
        var reasons: [ImageProblem.Reason] = []
        var topLevel: [String] = []
        for arch in architectures {
            if fileSystem.kind(at: path + "/" + arch + "/" + bootFile) == .regular { continue }
            if arch == "ppc", fileSystem.kind(at: path + "/" + bootFile) == .regular {
                topLevel.append(arch)
                continue
            }
            reasons.append(.bootFileMissing(path: folder + "/" + arch + "/" + bootFile))
        }
        return (reasons, topLevel)
    }

    /// A root path is a file in the folder or a resolvable indirect path.
    func rootPathCheck(_ text: String, type: ImageType, path: String) -> Result<RootPath, ImageProblem.Reason> {
        if KeyReader.isSafeRelativePath(text), fileSystem.kind(at: path + "/" + text) == .regular {
            return .success(.local(file: text))
        }
        return RootPathParser.parse(text, type: type, resolver: resolver)
    }

    /// The checks Apple makes against the disk: the boot file for every architecture and a
    /// root path that is either a file in the folder or a resolvable indirect path.
    func checkOnDisk(_ info: NBImageInfo, folder: String, path: String) -> Result<NetBootImage, NBImageInfoErrors> {
        var warnings = info.warnings
        var (reasons, topLevel) = bootFileCheck(info.bootFile, architectures: info.architectures, folder: folder, path: path)

        var rootPath: RootPath?
        if let text = info.rootPath {
            switch rootPathCheck(text, type: info.type, path: path) {
            case let .success(value): rootPath = value
            case let .failure(reason): reasons.append(reason)
            }
        }

        var loadBalancer: IPv4Address?
        if let host = info.loadBalanceServer {
            loadBalancer = resolver.resolve(host)
            if loadBalancer == nil {
                warnings.append("LoadBalanceServer \"\(host)\" does not resolve; this server answers itself")
            }
        }
        if info.supportsDiskless {
            warnings.append("SupportsDiskless is set, but this server provides no AFP shadow; clients shadow locally")
        }
        if info.name.utf8.count > 246 {
            warnings.append("Name is \(info.name.utf8.count) bytes; BSDP lists carry its first 246")
        }
        guard reasons.isEmpty else { return .failure(NBImageInfoErrors(reasons: reasons)) }
        return .success(NetBootImage(
            folder: folder, name: info.name, index: info.index, kind: info.kind,
            isInstall: info.isInstall, isDefault: info.isDefault, isEnabled: info.isEnabled,
            isFilterOnly: info.isFilterOnly, type: info.type, bootFile: info.bootFile,
            architectures: info.architectures, topLevelBootFileArchitectures: topLevel,
            rootPath: rootPath, enabledSystemIdentifiers: info.enabledSystemIdentifiers,
            disabledSystemIdentifiers: info.disabledSystemIdentifiers,
            enabledMACAddresses: info.enabledMACAddresses, disabledMACAddresses: info.disabledMACAddresses,
            supportsDiskless: info.supportsDiskless, loadBalanceServer: loadBalancer,
            imageDescription: info.imageDescription, language: info.language, osVersion: info.osVersion,
            warnings: warnings))
    }
}
