import BootImages
import Foundation

/// The output of `netboot images list`: a table for people, JSON for scripts. Root-path
/// passwords are already redacted by the caller (`ImageCatalog.redacted`).
struct ImagesReport {
    let scan: ImagesScan
    var catalog: ImageCatalog { scan.catalog }
    var pxe: PXEImageSet { scan.pxe }

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
        out += "PXE boot files in \(scan.bootFileRoot): bios \(scan.bootFiles.bios), uefi-x64 \(scan.bootFiles.uefiX64), uefi-arm64 \(scan.bootFiles.uefiArm64)"
            + (scan.missingBootFiles.isEmpty ? "\n" : "; missing: " + scan.missingBootFiles.joined(separator: ", ") + "\n")
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
                bootFileRoot: scan.bootFileRoot, missingBootFiles: scan.missingBootFiles))
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
        let bootFiles: [String: String], bootFileRoot: String, missingBootFiles: [String]
    }
    struct PXEImageEntry: Encodable {
        let name: String, kernel: String, initrd: String?, cmdline: String, isDefault: Bool
        enum CodingKeys: String, CodingKey { case name, kernel, initrd, cmdline, isDefault = "default" }
    }
}

/// The output of `netboot images rescan`.
struct RescanReport {
    let change: CatalogChange
    let catalog: ImageCatalog
    let note: String?

    func text() -> String {
        var out = note.map { "note: \($0)\n" } ?? ""
        out += change.logLines.isEmpty ? "No change since the last rescan.\n" : change.logLines.joined(separator: "\n") + "\n"
        out += "\(catalog.enabledImages.count) images available, \(catalog.skippedFolders.count) folders skipped.\n"
        for problem in catalog.problems { out += "problem \(problem.description)\n" }
        out += "(A running netboot serve of this state dir is asked to rescan too: through its control socket, else SIGHUP.)\n"
        return out
    }

    func json() throws -> String {
        struct Document: Encodable {
            let distributed: [String], updated: [String], withdrawn: [String]
            let logLines: [String], problems: [ImagesReport.ProblemEntry], available: Int, note: String?
        }
        return try ImagesReport.encode(Document(
            distributed: change.distributed.map(\.name), updated: change.updated.map(\.name),
            withdrawn: change.withdrawn.map(\.name), logLines: change.logLines,
            problems: catalog.problems.map { ImagesReport.ProblemEntry(code: $0.code, message: $0.description) },
            available: catalog.enabledImages.count, note: note))
    }
}
