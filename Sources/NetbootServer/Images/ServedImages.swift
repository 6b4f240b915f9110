import BootImages
import NetbootConfig

/// The boot images the appliance serves, built from the configuration in one place for
/// `netboot serve` (the BSDP catalog, `/boot/ipxe`, the boot-file check at start-up),
/// `netboot images list|rescan` and `netboot explain`, so that what the CLI shows is what the
/// server serves (DESIGN §9 "One catalog loader"; docs/images.md).
///
/// - the NetBoot catalog: the `.nbi` folders of `images-dir`, host names in indirect root paths
///   and `LoadBalanceServer` resolved through `resolver` (the system resolver by default);
/// - the PXE image set: `pxe.images` as declared (validated), else the folders of
///   `<images-dir>/pxe/`, with `pxe.default-image`;
/// - the PXE boot files `pxe.bios` … looked for in `tftp.root`, then `http.root`.
public struct ServedImages: Sendable {
    /// One PXE boot file that is in none of the boot-file roots.
    public struct MissingBootFile: Hashable, Sendable, CustomStringConvertible {
        public var architecture: PXEArchitecture
        public var file: String
        public var description: String { "\(architecture.rawValue): \(file)" }
    }

    public var catalog: ImageCatalog
    public var pxe: PXEImageSet
    public var bootFiles: PXEBootFiles
    /// Where the boot files are looked for, in order.
    public var bootFileRoots: [String]
    public var missingBootFiles: [MissingBootFile]

    /// Scans everything the configuration names. Touches the disk and, through `resolver`, DNS:
    /// run it off event loops.
    public static func load(_ configuration: NetbootConfiguration,
                            resolver: any HostResolving = SystemHostResolver(),
                            fileSystem: any ImageFileSystem = LocalFileSystem()) -> ServedImages {
        let bootFiles = bootFiles(configuration)
        let roots = bootFileRoots(configuration)
        return ServedImages(
            catalog: catalog(configuration, resolver: resolver, fileSystem: fileSystem),
            pxe: pxeImageSet(configuration, fileSystem: fileSystem),
            bootFiles: bootFiles, bootFileRoots: roots,
            missingBootFiles: bootFiles.missing(in: roots, fileSystem: fileSystem).map { MissingBootFile(architecture: $0.0, file: $0.1) })
    }

    /// The NetBoot (`.nbi`) catalog of `images-dir`.
    public static func catalog(_ configuration: NetbootConfiguration,
                               resolver: any HostResolving = SystemHostResolver(),
                               fileSystem: any ImageFileSystem = LocalFileSystem()) -> ImageCatalog {
        ImageCatalogScanner(fileSystem: fileSystem, resolver: resolver).scan(directory: configuration.imagesDir)
    }

    /// The PXE image set `/boot/ipxe` renders: `pxe.images` when declared, else `<images-dir>/pxe/*/`.
    public static func pxeImageSet(_ configuration: NetbootConfiguration,
                                   fileSystem: any ImageFileSystem = LocalFileSystem()) -> PXEImageSet {
        let pxe = configuration.pxe
        if pxe.images.isEmpty {
            return PXEImageSet.scan(imagesDirectory: configuration.imagesDir, defaultName: pxe.defaultImage, fileSystem: fileSystem)
        }
        return PXEImageSet.validate(pxe.images.map {
            PXEImageDeclaration(name: $0.name, kernel: $0.kernel, initrd: $0.initrd, cmdline: $0.cmdline)
        }, defaultName: pxe.defaultImage, imagesDirectory: configuration.imagesDir, fileSystem: fileSystem)
    }

    public static func bootFiles(_ configuration: NetbootConfiguration) -> PXEBootFiles {
        PXEBootFiles(bios: configuration.pxe.bios, uefiX64: configuration.pxe.uefiX64, uefiArm64: configuration.pxe.uefiArm64)
    }

    /// `tftp.root`, then `http.root` (UEFI HTTP boot fetches its file over HTTP).
    public static func bootFileRoots(_ configuration: NetbootConfiguration) -> [String] {
        configuration.tftp.root == configuration.http.root
            ? [configuration.tftp.root] : [configuration.tftp.root, configuration.http.root]
    }
}
