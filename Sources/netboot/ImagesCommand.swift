import ArgumentParser
import BootImages
import Foundation
import NetbootServer
import NetbootConfig

/// `netboot images`: the boot-image catalog (docs/images.md).
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List and rescan the NetBoot (.nbi) and PXE images.",
        subcommands: [ImagesListCommand.self, ImagesRescanCommand.self],
        defaultSubcommand: ImagesListCommand.self
    )
}

/// Where the images are; shared by the `images` subcommands. `--images-dir` wins; otherwise the
/// configuration's `images-dir` (from `--config`, else `etc/netboot.yaml` when it exists, else
/// the embedded default `images`). The configuration also gives the PXE image set
/// (`pxe.images`, `pxe.default-image`), the PXE boot files (`pxe.bios` …, in `tftp.root`) and
/// `state-dir` (where `rescan` keeps its snapshot).
struct ImagesLocation: ParsableArguments {
    @Option(name: .customLong("images-dir"), help: "The images directory (default: the configuration's images-dir, images).")
    var imagesDirectory: String?

    @Option(name: .long, help: "The configuration file (default: \(ConfigurationFile.defaultPath) if it exists).")
    var config: String?

    @Flag(name: .customLong("no-resolve"), help: "Do not look up host names in indirect root paths; accept IP literals only.")
    var noResolve = false

    /// The configuration, with its problems reported on standard error (the listing goes on
    /// with the defaults for any bad value; `netboot config check` gives the full report).
    func configuration() -> NetbootConfiguration {
        let path = config ?? (FileManager.default.fileExists(atPath: ConfigurationFile.defaultPath) ? ConfigurationFile.defaultPath : nil)
        guard let path else { return .defaults }
        let result = NetbootConfiguration.load(contentsOf: path)
        for text in result.rendered { FileHandle.standardError.write(Data((text + "\n").utf8)) }
        return result.configuration
    }

    func scan(_ configuration: NetbootConfiguration) -> ImagesScan {
        let directory = imagesDirectory ?? configuration.imagesDir
        let resolver: any HostResolving = noResolve ? LiteralHostResolver() : SystemHostResolver()
        let catalog = ImageCatalogScanner(resolver: resolver).scan(directory: directory)
        let pxeConfig = configuration.pxe
        let pxe = pxeConfig.images.isEmpty
            ? PXEImageSet.scan(imagesDirectory: directory, defaultName: pxeConfig.defaultImage)
            : PXEImageSet.validate(pxeConfig.images.map {
                PXEImageDeclaration(name: $0.name, kernel: $0.kernel, initrd: $0.initrd, cmdline: $0.cmdline)
            }, defaultName: pxeConfig.defaultImage, imagesDirectory: directory)
        let bootFiles = PXEBootFiles(bios: pxeConfig.bios, uefiX64: pxeConfig.uefiX64, uefiArm64: pxeConfig.uefiArm64)
        let missing = bootFiles.missing(in: [configuration.tftp.root], fileSystem: LocalFileSystem())
        return ImagesScan(catalog: catalog, pxe: pxe, bootFiles: bootFiles, bootFileRoot: configuration.tftp.root,
                          missingBootFiles: missing.map { "\($0.0.rawValue): \($0.1)" })
    }
}

/// One scan's results, for the reports.
struct ImagesScan {
    var catalog: ImageCatalog
    var pxe: PXEImageSet
    var bootFiles: PXEBootFiles
    var bootFileRoot: String
    var missingBootFiles: [String]
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
        var scan = location.scan(location.configuration())
        let catalog = scan.catalog
        scan.catalog = catalog.redacted
        let report = ImagesReport(scan: scan)
        print(json ? try report.json() : report.text(), terminator: json ? "\n" : "")
        if let error = catalog.directoryError {
            FileHandle.standardError.write(Data("netboot: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `netboot images rescan`: scans again and prints what changed since the last rescan, with the
/// validation problems, and makes a running `netboot serve` rescan too: through its control
/// socket (`images.rescan`), else with SIGHUP to the pid in `state-dir/netboot.pid`; the server
/// logs the same lines. This command compares
/// with the snapshot it keeps at `--snapshot`.
struct ImagesRescanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescan",
        abstract: "Rescan the images directory and print what changed since the last rescan.",
        discussion: """
            Prints `New image distributed: NAME` for each image that became available, `Image updated`,
            `Image withdrawn` and `Image skipped` lines, then every validation problem. The previous
            scan is kept in the snapshot file. A running `netboot serve` that uses the same state-dir
            is sent SIGHUP, so that it rescans without a restart and logs the same lines.
            """
    )

    @OptionGroup var location: ImagesLocation

    @Option(help: "Where the previous scan is kept (default: <state-dir>/images-snapshot.json).")
    var snapshot: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let configuration = location.configuration()
        let catalog = location.scan(configuration).catalog.redacted
        let snapshot = self.snapshot ?? configuration.stateDir + "/images-snapshot.json"
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
        try writeSnapshot(catalog, to: snapshot)
        signalRunningServer(stateDir: configuration.stateDir)
    }

    /// Asks the server whose control socket is in `stateDir` to rescan (docs/control.md); without
    /// one, SIGHUP to the pid in its pid file, if it runs.
    private func signalRunningServer(stateDir: String) {
        if ServerRescan.request(stateDir: stateDir) { return }
        let pidFile = FlightRecorderService.pidFile(stateDir: stateDir)
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
              kill(pid, 0) == 0 else { return }
        if kill(pid, SIGHUP) == 0 {
            FileHandle.standardError.write(Data("netboot: the running server (pid \(pid)) rescans too\n".utf8))
        }
    }

    private func writeSnapshot(_ catalog: ImageCatalog, to snapshot: String) throws {
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
