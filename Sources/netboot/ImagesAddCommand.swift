import ArgumentParser
import Foundation
import TaskSequenceDrivers

/// `netboot images add FILE --name NAME`: registers a disk image (issue 16 §5) under
/// `<images-dir>/disk/`, served over HTTP with ranges by the image server, applied by
/// netboot-runner's apply-image step.
struct ImagesAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a disk image (raw, gzip, zstd or xz): detect its compression, hash its raw content, store it under images-dir/disk.",
        discussion: HelpText.discussion(
            examples: [
                ("netboot images add debian.img.zst --name debian-12", "stores images/disk/debian-12.img.zst with its SHA-256"),
                ("netboot images add new.img --name debian-12 --replace --json", "replaces it; prints the record as JSON"),
            ],
            exitCodes: [(0, "the image was added"), (1, HelpText.configurationError),
                        (2, "the file is unreadable, corrupt or truncated, the name is taken or invalid")])
    )

    @Argument(help: "The image file.") var file: String
    @Option(name: .long, help: "The image's name (letters, digits, . _ -).") var name: String
    @Flag(name: .long, help: "Replace an image of the same name.") var replace = false
    @Flag(help: "Print JSON instead of text.") var json = false
    @OptionGroup var location: ImagesLocation

    func run() throws {
        let directory = try location.imagesDirectory ?? location.configuration().imagesDir
        do {
            let image = try DiskImageCatalog.add(source: file, name: name, imagesDirectory: directory, replace: replace)
            if json {
                print(try ImagesReport.encode(image))
            } else {
                print("New image distributed: \(image.name)")
                print("  \(directory)/\(DiskImageCatalog.subdirectory)/\(image.file): \(image.compression.rawValue), \(image.size) bytes, raw \(image.rawSize) bytes, sha256 \(image.sha256)")
            }
        } catch {
            FileHandle.standardError.write(Data("netboot: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
