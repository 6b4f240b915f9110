/// The NetBoot images of one images directory, as one scan found them.
///
/// `images` is in Apple's list order (bootp `nbimages.c` `NBImageList_add_entry`): `IsDefault`
/// images without a model restriction first (the one read last at the very front), then
/// `IsDefault` images with a model restriction, then the rest in scan order. Scan order is the
/// folder names sorted bytewise, so the order does not depend on `readdir` as Apple's does.
/// The default image for a client is the first image of this order that the client may boot
/// (reference `bsdp-protocol-and-servers.md` §1.10). Disabled images are kept (never offered)
/// so that `netboot images list` and `netboot explain` can show them.
public struct ImageCatalog: Hashable, Sendable, Codable {
    /// The scanned directory.
    public var directory: String
    /// Valid images, enabled or not, in Apple's list order.
    public var images: [NetBootImage]
    /// Every reason a folder was skipped (sorted by folder, then in check order).
    public var problems: [ImageProblem]
    /// Catalog-wide remarks that skip nothing (an index shared by images of different kinds…).
    public var notes: [String]
    /// Set when the directory itself could not be listed.
    public var directoryError: String?

    public init(directory: String, images: [NetBootImage] = [], problems: [ImageProblem] = [],
                notes: [String] = [], directoryError: String? = nil) {
        self.directory = directory
        self.images = images
        self.problems = problems
        self.notes = notes
        self.directoryError = directoryError
    }

    /// The images a client may be offered at all (enabled), in list order.
    public var enabledImages: [NetBootImage] { images.filter(\.isEnabled) }

    /// The folders skipped, each once, sorted.
    public var skippedFolders: [String] {
        var seen = Set<String>()
        return problems.map(\.folder).filter { seen.insert($0).inserted }
    }

    /// The problems of one skipped folder.
    public func problems(of folder: String) -> [ImageProblem] { problems.filter { $0.folder == folder } }

    /// The enabled image with this full 32-bit id.
    public func image(id: UInt32) -> NetBootImage? {
        images.first { $0.isEnabled && $0.bootImageIDValue == id }
    }

    /// The image in a folder, enabled or not.
    public func image(folder: String) -> NetBootImage? { images.first { $0.folder == folder } }

    /// The catalog with every indirect root-path password replaced by `***`: what may be
    /// written to disk or printed (a rescan snapshot, JSON output).
    public var redacted: ImageCatalog {
        var copy = self
        for position in copy.images.indices {
            if case let .http(host, port, user, password, path)? = copy.images[position].rootPath, password != nil {
                copy.images[position].rootPath = .http(host: host, port: port, user: user, password: "***", path: path)
            }
        }
        return copy
    }

    /// Places valid images in Apple's list order, dropping enabled images whose full id an
    /// earlier enabled image already holds (reported as `duplicateID`).
    static func ordered(_ scanned: [NetBootImage]) -> (images: [NetBootImage], problems: [ImageProblem], notes: [String]) {
        var list: [NetBootImage] = []
        var problems: [ImageProblem] = []
        var holders: [UInt32: String] = [:]
        for image in scanned {
            if image.isEnabled {
                if let kept = holders[image.bootImageIDValue] {
                    problems.append(ImageProblem(folder: image.folder,
                                                 reason: .duplicateID(id: image.bootImageIDValue, keptFolder: kept)))
                    continue
                }
                holders[image.bootImageIDValue] = image.folder
            }
            guard image.isDefault else { list.append(image); continue }
            if image.enabledSystemIdentifiers.isEmpty {
                list.insert(image, at: 0)
            } else if let slot = list.firstIndex(where: { !$0.isDefault || !$0.enabledSystemIdentifiers.isEmpty }) {
                list.insert(image, at: slot)
            } else {
                list.append(image)
            }
        }
        var notes: [String] = []
        let byIndex = Dictionary(grouping: list.filter(\.isEnabled), by: \.index)
        for (index, sharing) in byIndex.sorted(by: { $0.key < $1.key }) where sharing.count > 1 {
            let names = sharing.map { "\($0.folder) (\($0.idText))" }.joined(separator: ", ")
            notes.append("Index \(index) is shared by \(names); allowed because their ids differ")
        }
        return (list, problems, notes)
    }
}
