import ArgumentParser
import BootImages
import Foundation

/// `netboot images`: the boot-image catalog (docs/images.md).
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List and rescan the NetBoot (.nbi) and PXE images.",
        subcommands: [ImagesListCommand.self, ImagesRescanCommand.self],
        defaultSubcommand: ImagesListCommand.self
    )
}

/// Where the images are; shared by the `images` subcommands.
struct ImagesLocation: ParsableArguments {
    @Option(name: .customLong("images-dir"), help: "The images directory (default: images).")
    var imagesDirectory: String = "images"

    @Flag(name: .customLong("no-resolve"), help: "Do not look up host names in indirect root paths; accept IP literals only.")
    var noResolve = false

    func scan() -> (catalog: ImageCatalog, pxe: PXEImageSet) {
        let resolver: any HostResolving = noResolve ? LiteralHostResolver() : SystemHostResolver()
        let catalog = ImageCatalogScanner(resolver: resolver).scan(directory: imagesDirectory)
        return (catalog, PXEImageSet.scan(imagesDirectory: imagesDirectory))
    }
}

/// `netboot images list [--images-dir DIR] [--json]`.
struct ImagesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show every image with its id, kind, flags, filters, boot file and root path, and every skipped folder with its reasons."
    )

    @OptionGroup var location: ImagesLocation

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let (catalog, pxe) = location.scan()
        let report = ImagesReport(catalog: catalog.redacted, pxe: pxe)
        print(json ? try report.json() : report.text(), terminator: json ? "\n" : "")
        if let error = catalog.directoryError {
            FileHandle.standardError.write(Data("netboot: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `netboot images rescan`: scans again and prints what changed since the last rescan, with the
/// validation problems. A running server rescans on SIGHUP (`kill -HUP <pid>`) and logs the
/// same lines; this command compares with the snapshot it keeps at `--snapshot`.
struct ImagesRescanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescan",
        abstract: "Rescan the images directory and print what changed since the last rescan.",
        discussion: """
            Prints `New image distributed: NAME` for each image that became available, `Image updated`,
            `Image withdrawn` and `Image skipped` lines, then every validation problem. The previous
            scan is kept in the snapshot file. To make a running `netboot serve` rescan, send it SIGHUP.
            """
    )

    @OptionGroup var location: ImagesLocation

    @Option(help: "Where the previous scan is kept.")
    var snapshot: String = "var/images-snapshot.json"

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let (scanned, _) = location.scan()
        let catalog = scanned.redacted
        var previous = ImageCatalog(directory: catalog.directory)
        var snapshotNote: String?
        if let data = FileManager.default.contents(atPath: snapshot) {
            if let decoded = try? JSONDecoder().decode(ImageCatalog.self, from: data) {
                previous = decoded
            } else {
                snapshotNote = "snapshot \(snapshot) is unreadable; compared with an empty catalog"
            }
        }
        let change = CatalogChange(from: previous, to: catalog)
        let report = RescanReport(change: change, catalog: catalog, note: snapshotNote)
        print(json ? try report.json() : report.text(), terminator: json ? "\n" : "")
        guard catalog.directoryError == nil else {
            FileHandle.standardError.write(Data("netboot: \(catalog.directoryError ?? "")\n".utf8))
            throw ExitCode.failure
        }
        try writeSnapshot(catalog)
    }

    private func writeSnapshot(_ catalog: ImageCatalog) throws {
        let url = URL(fileURLWithPath: snapshot)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(catalog).write(to: url, options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("netboot: cannot write snapshot \(snapshot): \(error.localizedDescription)\n".utf8))
            throw ExitCode.failure
        }
    }
}
