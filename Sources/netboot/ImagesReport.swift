import BootImages
import Foundation
import NetbootServer
import TaskSequenceDrivers

/// The output of `netboot images list`: a table for people, JSON for scripts. Root-path
/// passwords are already redacted by the caller (`ImageCatalog.redacted`).
struct ImagesReport {
    /// `images list` exit codes (docs/images.md): 0 every image is served, 1 nothing could be
    /// listed (configuration error, unreadable images directory), 2 some images were skipped.
    static let unreadableExitCode: Int32 = 1
    static let skippedExitCode: Int32 = 2

    let scan: ServedImages
    /// Disk images under `<images-dir>/disk/` (`netboot images add`, docs/images.md).
    var diskImages: [DiskImage] = []
    var catalog: ImageCatalog { scan.catalog }
    var pxe: PXEImageSet { scan.pxe }

    /// NetBoot folders and PXE images that are not served (remarks about the PXE default are
    /// not skipped images).
    var skippedCount: Int {
        let skippedPXE = pxe.problems.filter {
            switch $0.reason {
            case .defaultNotFound, .severalDefaults: false
            default: true
            }
        }
        return catalog.skippedFolders.count + Set(skippedPXE.map(\.name)).count
    }

    func text() -> String {
        var out = "NetBoot images in \(catalog.directory): \(catalog.images.count) valid, \(catalog.skippedFolders.count) skipped\n"
        if !catalog.images.isEmpty {
            let header = ["ID", "NAME", "KIND", "INSTALL", "DEFAULT", "ENABLED", "TYPE", "BOOT FILE", "ROOT PATH", "FILTERS"]
            let rows = catalog.images.map { image in
                [image.idText, image.name, image.kindName, yesNo(image.isInstall), yesNo(image.isDefault),
                 yesNo(image.isEnabled), image.type.rawValue, image.bootFile,
                 image.rootPath?.displayText ?? "-", Self.filterSummary(image)]
            }
            out += table([header] + rows)
        }
        for folder in catalog.skippedFolders {
            out += "skipped \(folder): " + catalog.problems(of: folder).map(\.message).joined(separator: "; ") + "\n"
        }
        for image in catalog.images {
            for warning in image.warnings { out += "warning \(image.folder): \(warning)\n" }
        }
        for note in catalog.notes { out += "note: \(note)\n" }
        out += "PXE images in \(catalog.directory)/pxe: \(pxe.images.count)\n"
        for image in pxe.images {
            out += "  \(image.name)\(image.isDefault ? " (default)" : ""): kernel \(image.kernel)"
                + (image.initrd.map { ", initrd \($0)" } ?? "") + (image.cmdline.isEmpty ? "" : ", cmdline \"\(image.cmdline)\"") + "\n"
        }
        for problem in pxe.problems { out += "skipped \(problem.description)\n" }
        out += "PXE boot files in \(scan.bootFileRoots.joined(separator: ", ")): bios \(scan.bootFiles.bios), uefi-x64 \(scan.bootFiles.uefiX64), uefi-arm64 \(scan.bootFiles.uefiArm64)"
            + (scan.missingBootFiles.isEmpty ? "\n" : "; missing: " + scan.missingBootFiles.map(\.description).joined(separator: ", ") + "\n")
        out += "Disk images in \(catalog.directory)/\(DiskImageCatalog.subdirectory): \(diskImages.count)\n"
        for image in diskImages {
            out += "  \(image.name): \(image.file), \(image.compression.rawValue), \(image.size) bytes, raw \(image.rawSize) bytes, sha256 \(image.sha256)\n"
        }
        return out
    }

    func json() throws -> String {
        let document = Document(
            imagesDirectory: catalog.directory,
            directoryError: catalog.directoryError,
            images: catalog.images.enumerated().map { ImageEntry($0.element, listOrder: $0.offset) },
            skipped: catalog.skippedFolders.map { folder in
                SkippedEntry(folder: folder, problems: catalog.problems(of: folder).map { ProblemEntry(code: $0.code, message: $0.message) })
            },
            notes: catalog.notes,
            pxe: PXEEntry(
                images: pxe.images.map { PXEImageEntry(name: $0.name, kernel: $0.kernel, initrd: $0.initrd, cmdline: $0.cmdline, isDefault: $0.isDefault) },
                problems: pxe.problems.map { ProblemEntry(code: $0.code, message: $0.description) },
                bootFiles: ["bios": scan.bootFiles.bios, "uefi-x64": scan.bootFiles.uefiX64, "uefi-arm64": scan.bootFiles.uefiArm64],
                bootFileRoots: scan.bootFileRoots, missingBootFiles: scan.missingBootFiles.map(\.description)),
            diskImages: diskImages)
        return try Self.encode(document)
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private func yesNo(_ flag: Bool) -> String { flag ? "yes" : "no" }

    /// `arch i386; models +2 -1; MACs +3 -1; filter-only`.
    static func filterSummary(_ image: NetBootImage) -> String {
        var parts = ["arch " + image.architectures.joined(separator: ",")]
        if !image.enabledSystemIdentifiers.isEmpty || !image.disabledSystemIdentifiers.isEmpty {
            parts.append("models +\(image.enabledSystemIdentifiers.count) -\(image.disabledSystemIdentifiers.count)")
        }
        if !image.enabledMACAddresses.isEmpty || !image.disabledMACAddresses.isEmpty {
            parts.append("MACs +\(image.enabledMACAddresses.count) -\(image.disabledMACAddresses.count)")
        }
        if image.isFilterOnly { parts.append("filter-only") }
        return parts.joined(separator: "; ")
    }

    private func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    struct Document: Encodable {
        let imagesDirectory: String
        let directoryError: String?
        let images: [ImageEntry]
        let skipped: [SkippedEntry]
        let notes: [String]
        let pxe: PXEEntry
        let diskImages: [DiskImage]
    }

    struct ImageEntry: Encodable {
        let id: String, idValue: UInt32, index: UInt16, listOrder: Int
        let name: String, folder: String, kind: UInt8, kindName: String
        let install: Bool, isDefault: Bool, enabled: Bool, filterOnly: Bool
        let type: String, bootFile: String, bootFilePaths: [String: String], rootPath: String?
        let architectures: [String], enabledSystemIdentifiers: [String], disabledSystemIdentifiers: [String]
        let enabledMACAddresses: [String], disabledMACAddresses: [String]
        let filters: String, loadBalanceServer: String?, supportsDiskless: Bool
        let description: String?, osVersion: String?, warnings: [String]

        enum CodingKeys: String, CodingKey {
            case id, idValue, index, listOrder, name, folder, kind, kindName, install
            case isDefault = "default"
            case enabled, filterOnly, type, bootFile, bootFilePaths, rootPath, architectures
            case enabledSystemIdentifiers, disabledSystemIdentifiers, enabledMACAddresses, disabledMACAddresses
            case filters, loadBalanceServer, supportsDiskless, description, osVersion, warnings
        }

        init(_ image: NetBootImage, listOrder: Int) {
            id = image.idText; idValue = image.bootImageIDValue; index = image.index; self.listOrder = listOrder
            name = image.name; folder = image.folder; kind = image.kind; kindName = image.kindName
            install = image.isInstall; isDefault = image.isDefault; enabled = image.isEnabled; filterOnly = image.isFilterOnly
            type = image.type.rawValue; bootFile = image.bootFile
            bootFilePaths = Dictionary(uniqueKeysWithValues: image.architectures.compactMap { arch in
                image.bootFilePath(architecture: arch).map { (arch, $0) }
            })
            rootPath = image.rootPath?.displayText
            architectures = image.architectures
            enabledSystemIdentifiers = image.enabledSystemIdentifiers; disabledSystemIdentifiers = image.disabledSystemIdentifiers
            enabledMACAddresses = image.enabledMACAddresses.map(\.description); disabledMACAddresses = image.disabledMACAddresses.map(\.description)
            filters = ImagesReport.filterSummary(image); loadBalanceServer = image.loadBalanceServer?.description
            supportsDiskless = image.supportsDiskless; description = image.imageDescription; osVersion = image.osVersion
            warnings = image.warnings
        }
    }

    struct SkippedEntry: Encodable { let folder: String; let problems: [ProblemEntry] }
    struct ProblemEntry: Encodable { let code: String; let message: String }
    struct PXEEntry: Encodable {
        let images: [PXEImageEntry], problems: [ProblemEntry]
        let bootFiles: [String: String], bootFileRoots: [String], missingBootFiles: [String]
    }
    struct PXEImageEntry: Encodable {
        let name: String, kernel: String, initrd: String?, cmdline: String, isDefault: Bool
        enum CodingKeys: String, CodingKey { case name, kernel, initrd, cmdline, isDefault = "default" }
    }
}

/// The output of `netboot images rescan`.
struct RescanReport {
    /// What became of the running server: exactly one statement in the report.
    enum Server: Equatable {
        case signalled(pid: Int32)
        case notRunning(lockFile: String)
        case notSignalled(pid: Int32, reason: String)
        /// Asked through the control socket (docs/control.md); the server rescanned.
        case rescanned(images: Int)
        /// Asked through the control socket; the server said why it did not rescan.
        case refused(reason: String)
        case unknown(reason: String)

        var text: String {
            switch self {
            case let .signalled(pid):
                "Sent SIGHUP to the running netboot serve (pid \(pid)): it rescans and logs the same lines."
            case let .notRunning(lockFile):
                "No running netboot serve (none holds \(lockFile)): nothing signalled; a server scans when it starts."
            case let .unknown(reason):
                "Nothing signalled: \(reason)."
            case let .notSignalled(pid, reason):
                "Could not send SIGHUP to netboot serve (pid \(pid)): \(reason); it serves the images it had."
            case let .rescanned(images):
                "The running netboot serve rescanned (control socket) and serves \(images) image(s); it logs the same lines."
            case let .refused(reason):
                "The running netboot serve did not rescan: \(reason)"
            }
        }
    }

    let change: CatalogChange
    let catalog: ImageCatalog
    let note: String?
    /// nil when the scan failed and no server was signalled.
    let server: Server?

    func text() -> String {
        var out = note.map { "note: \($0)\n" } ?? ""
        out += change.logLines.isEmpty ? "No change since the last rescan.\n" : change.logLines.joined(separator: "\n") + "\n"
        out += "\(catalog.enabledImages.count) images available, \(catalog.skippedFolders.count) folders skipped.\n"
        for problem in catalog.problems { out += "problem \(problem.description)\n" }
        if let server { out += server.text + "\n" }
        return out
    }

    func json() throws -> String {
        struct Document: Encodable {
            let distributed: [String], updated: [String], withdrawn: [String]
            let logLines: [String], problems: [ImagesReport.ProblemEntry], available: Int, note: String?
            let serverSignalled: Bool, server: String?
        }
        return try ImagesReport.encode(Document(
            distributed: change.distributed.map(\.name), updated: change.updated.map(\.name),
            withdrawn: change.withdrawn.map(\.name), logLines: change.logLines,
            problems: catalog.problems.map { ImagesReport.ProblemEntry(code: $0.code, message: $0.description) },
            available: catalog.enabledImages.count, note: note,
            serverSignalled: server.map { switch $0 { case .signalled, .rescanned: true; default: false } } ?? false, server: server?.text))
    }
}
