import BootImages

extension ImageCatalog {
    /// The catalog with only the images named in `names` (an image's menu name, its folder, or
    /// its folder without `.nbi`): what a client class or reservation with `bsdp-images` may see.
    public func restricted(to names: [String]) -> ImageCatalog {
        var copy = self
        copy.images = images.filter { image in
            let folder = image.folder.hasSuffix(".nbi") ? String(image.folder.dropLast(4)) : image.folder
            return names.contains(image.name) || names.contains(image.folder) || names.contains(folder)
        }
        return copy
    }
}
