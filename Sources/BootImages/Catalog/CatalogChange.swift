/// What changed between two scans of the images directory: the service logs these lines on
/// SIGHUP and `netboot images rescan` prints them.
///
/// An image is *available* when it is valid and enabled. One that becomes available (new
/// folder, fixed, or enabled) is logged with the seed's line `New image distributed: NAME`
/// (seed admin guide L4728-4732, catalogue C9/C27); one that stops being available is
/// `Image withdrawn: NAME`; an available image whose id, name or settings changed is
/// `Image updated: NAME`. Images are matched by folder.
public struct CatalogChange: Hashable, Sendable {
    public var distributed: [NetBootImage]
    public var withdrawn: [NetBootImage]
    public var updated: [NetBootImage]
    /// Folders skipped now that were not skipped (with the same reasons) before.
    public var newProblems: [ImageProblem]

    public init(from old: ImageCatalog, to new: ImageCatalog) {
        let before = Dictionary(old.enabledImages.map { ($0.folder, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.enabledImages.map { ($0.folder, $0) }, uniquingKeysWith: { first, _ in first })
        distributed = new.enabledImages.filter { before[$0.folder] == nil }
        withdrawn = old.enabledImages.filter { after[$0.folder] == nil }
        updated = new.enabledImages.filter { image in before[image.folder].map { $0 != image } ?? false }
        let known = Set(old.problems)
        newProblems = new.problems.filter { !known.contains($0) }
    }

    public var isEmpty: Bool {
        distributed.isEmpty && withdrawn.isEmpty && updated.isEmpty && newProblems.isEmpty
    }

    /// One log line per change, in a stable order.
    public var logLines: [String] {
        distributed.map { "New image distributed: \($0.name)" }
            + updated.map { "Image updated: \($0.name)" }
            + withdrawn.map { "Image withdrawn: \($0.name)" }
            + newProblems.map { "Image skipped: \($0.description)" }
    }
}
