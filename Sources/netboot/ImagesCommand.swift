import ArgumentParser
import BootImages
import Foundation
import NetbootServer
import NetbootConfig
import TaskSequenceDrivers

/// `netboot images`: the boot-image catalog (docs/images.md).
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List and rescan the NetBoot (.nbi) and PXE images; add disk images.",
        discussion: HelpText.discussion(examples: [("netboot images", "the same as `netboot images list`")],
                                        exitCodes: ImagesListCommand.exitCodes),
        subcommands: [ImagesListCommand.self, ImagesRescanCommand.self, ImagesAddCommand.self],
        defaultSubcommand: ImagesListCommand.self
    )
}

/// Where the images are; shared by the `images` subcommands and `explain`. The configuration
/// (``ConfigurationOption``) gives `images-dir`, the PXE image set, the PXE boot files and
/// `state-dir`; `--images-dir` overrides `images-dir`. The images are then loaded by
/// ``ServedImages``, the same loader `netboot serve` uses.
struct ImagesLocation: ParsableArguments {
    @OptionGroup var config: ConfigurationOption

    @Option(name: .customLong("images-dir"), help: ArgumentHelp(
        "The images directory (default: the configuration's images-dir).", valueName: "dir"))
    var imagesDirectory: String?

    @Flag(name: .customLong("no-resolve"), help: "Do not look up host names in indirect root paths; accept IP literals only (the server does look them up).")
    var noResolve = false

    /// The configuration with `--images-dir` applied; exits 1 on a configuration error.
    func configuration() throws -> NetbootConfiguration {
        var configuration = try config.load().configuration
        if let imagesDirectory { configuration.imagesDir = imagesDirectory }
        return configuration
    }

    func scan(_ configuration: NetbootConfiguration) -> ServedImages {
        ServedImages.load(configuration, resolver: noResolve ? LiteralHostResolver() : SystemHostResolver())
    }
}

/// `netboot images list [--images-dir DIR] [--json]`.
struct ImagesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show every image with its id, kind, flags, filters, boot file and root path, and every skipped folder with its reasons.",
        discussion: HelpText.discussion(
            "The images are loaded as `netboot serve` loads them (same configuration, host names resolved, same boot-file roots).",
            examples: [
                ("netboot images list", "the images of etc/netboot.yaml's images-dir, as a table"),
                ("netboot images list --config lab.yaml --json", "another configuration, as JSON"),
            ],
            exitCodes: exitCodes)
    )

    static let exitCodes: [(code: Int32, meaning: String)] = [
        (0, "every image is served"),
        (ImagesReport.unreadableExitCode, "nothing could be listed: \(HelpText.configurationError), or the images directory is unreadable"),
        (ImagesReport.skippedExitCode, "listed, but some images were skipped (their reasons are in the listing)"),
    ]

    @OptionGroup var location: ImagesLocation

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        var scan = location.scan(try location.configuration())
        let catalog = scan.catalog
        scan.catalog = catalog.redacted
        let report = ImagesReport(scan: scan, diskImages: DiskImageCatalog.list(imagesDirectory: catalog.directory))
        print(json ? try report.json() : report.text(), terminator: json ? "\n" : "")
        if let error = catalog.directoryError {
            FileHandle.standardError.write(Data("netboot: \(error)\n".utf8))
            throw ExitCode(ImagesReport.unreadableExitCode)
        }
        if report.skippedCount > 0 {
            FileHandle.standardError.write(Data("netboot: \(report.skippedCount) image\(report.skippedCount == 1 ? " was" : "s were") skipped (reasons above)\n".utf8))
            throw ExitCode(ImagesReport.skippedExitCode)
        }
    }
}

/// `netboot images rescan`: scans again and prints what changed since the last rescan, with the
/// validation problems, and makes a running `netboot serve` rescan too: through its control
/// socket (`images.rescan`), else with SIGHUP to the holder of `state-dir/netboot.lock`; the
/// server logs the same lines. The report's last line
/// says which happened (signalled, or no server running). This command compares with the
/// snapshot it keeps at `--snapshot`.
struct ImagesRescanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescan",
        abstract: "Rescan the images directory and print what changed since the last rescan.",
        discussion: """
            Prints `New image distributed: NAME` for each image that became available, `Image updated`,
            `Image withdrawn` and `Image skipped` lines, then every validation problem. The previous
            scan is kept in the snapshot file. A running `netboot serve` that uses the same state-dir
            is asked to rescan through its control socket (or sent SIGHUP when it has none), so that
            it rescans without a restart and logs the same lines; the last line says what it did.
            """ + "\n\n" + HelpText.discussion(
            examples: [
                ("netboot images rescan", "after copying an image into images/: what changed, and the server rescans"),
                ("netboot images rescan --json", "the same as JSON"),
            ],
            exitCodes: [(0, "rescanned (skipped images are listed as problems)"),
                        (1, "\(HelpText.configurationError), the images directory is unreadable, or the snapshot cannot be written")])
    )

    @OptionGroup var location: ImagesLocation

    @Option(help: "Where the previous scan is kept (default: <state-dir>/images-snapshot.json).")
    var snapshot: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let configuration = try location.configuration()
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
        guard catalog.directoryError == nil else {
            let report = RescanReport(change: change, catalog: catalog, note: snapshotNote, server: nil)
            print(json ? try report.json() : report.text(), terminator: json ? "\n" : "")
            FileHandle.standardError.write(Data("netboot: \(catalog.directoryError ?? "")\n".utf8))
            throw ExitCode.failure
        }
        try writeSnapshot(catalog, to: snapshot)
        let server = signalRunningServer(stateDir: configuration.stateDir)
        let report = RescanReport(change: change, catalog: catalog, note: snapshotNote, server: server)
        print(json ? try report.json() : report.text(), terminator: json ? "\n" : "")
    }

    /// Asks the server whose control socket is in `stateDir` to rescan (docs/control.md); without
    /// one, SIGHUP to the server that holds `stateDir`'s lock, if one is running; says which.
    /// Only the lock's holder is signalled: a stale `netboot.pid` may name any process by now,
    /// and SIGHUP ends most of them (as `debug dump-packets` does, issue 14 item 1).
    private func signalRunningServer(stateDir: String) -> RescanReport.Server {
        if let asked = ServerRescan.request(stateDir: stateDir) { return asked }
        let lockFile = StateDirectoryLock.path(stateDir: stateDir)
        switch StateDirectoryLock.holder(stateDir: stateDir) {
        case .nobody:
            return .notRunning(lockFile: lockFile)
        case let .unknown(reason):
            return .unknown(reason: reason)
        case .server(pid: nil):
            return .unknown(reason: "a server is starting (\(lockFile) names no pid yet); it scans when it starts")
        case .server(pid: let pid?):
            guard kill(pid, SIGHUP) == 0 else { return .notSignalled(pid: pid, reason: String(cString: strerror(errno))) }
            return .signalled(pid: pid)
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
