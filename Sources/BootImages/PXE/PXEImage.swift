import Foundation

/// A Linux (or any kernel + initrd) image that iPXE boots over HTTP: one folder
/// `images/pxe/<name>/` (issue 3 item 1, "PXE image set"). The iPXE script renderer takes
/// these values; paths are relative to the images directory (`pxe/<name>/vmlinuz`).
///
/// Folder layout (docs/images.md): the kernel is the first of `vmlinuz`, `linux`, `kernel`;
/// the initrd, optional, the first of `initrd.img`, `initrd`; `cmdline`, optional, a text file
/// whose whitespace (newlines included) is collapsed to single spaces; an empty file named
/// `default` marks the default image.
public struct PXEImage: Hashable, Sendable {
    public var name: String
    public var kernel: String
    public var initrd: String?
    /// Kernel command line, one line, no control characters (safe to put in an iPXE script).
    public var cmdline: String
    public var isDefault: Bool

    public init(name: String, kernel: String, initrd: String?, cmdline: String, isDefault: Bool) {
        self.name = name
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.isDefault = isDefault
    }

    public static let kernelNames = ["vmlinuz", "linux", "kernel"]
    public static let initrdNames = ["initrd.img", "initrd"]
    public static let cmdlineName = "cmdline"
    public static let defaultMarkerName = "default"
    public static let maximumCmdlineBytes = 4096
}

/// One image as the config declares it (`pxe.images` in `etc/netboot.yaml`): file names are
/// relative to `<images-dir>/pxe/<name>/`.
public struct PXEImageDeclaration: Hashable, Sendable {
    public var name: String
    public var kernel: String
    public var initrd: String?
    public var cmdline: String

    public init(name: String, kernel: String, initrd: String? = nil, cmdline: String = "") {
        self.name = name
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
    }
}

/// Why a PXE image folder was skipped, or a remark about the set.
public struct PXEProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        case badName
        case kernelMissing
        case fileMissing(String)
        case cmdlineUnreadable(String)
        case cmdlineControlCharacter
        case defaultNotFound
        case severalDefaults(chosen: String)
    }

    public var name: String
    public var reason: Reason

    public var code: String {
        switch reason {
        case .badName: "bad-name"
        case .kernelMissing: "kernel-missing"
        case .fileMissing: "file-missing"
        case .cmdlineUnreadable: "cmdline-unreadable"
        case .cmdlineControlCharacter: "cmdline-control-character"
        case .defaultNotFound: "default-not-found"
        case .severalDefaults: "several-defaults"
        }
    }

    public var message: String {
        switch reason {
        case .badName: "the folder name must be letters, digits, '.', '_' or '-' (it appears in URLs and iPXE scripts)"
        case .kernelMissing: "no kernel (\(PXEImage.kernelNames.joined(separator: ", ")))"
        case let .fileMissing(path): "\(path) does not exist"
        case let .cmdlineUnreadable(detail): "cmdline cannot be read: \(detail)"
        case .cmdlineControlCharacter: "cmdline holds a control character"
        case .defaultNotFound: "the configured default PXE image does not exist"
        case let .severalDefaults(chosen): "several images are marked default; using \(chosen)"
        }
    }

    public var description: String { "pxe/\(name): \(message)" }
}

/// The PXE images found under `images/pxe/`, sorted by name, and what was wrong.
public struct PXEImageSet: Hashable, Sendable {
    public var images: [PXEImage]
    public var problems: [PXEProblem]

    public var defaultImage: PXEImage? { images.first(where: \.isDefault) }

    public func image(named name: String) -> PXEImage? { images.first { $0.name == name } }

    /// Reads `<imagesDirectory>/pxe/*/` when the config declares no images. The default is
    /// `defaultName` when given, else the folder holding a `default` marker, else the only
    /// image; with several unmarked images there is none (iPXE shows a menu).
    public static func scan(imagesDirectory: String, defaultName: String? = nil,
                            fileSystem: any ImageFileSystem = LocalFileSystem()) -> PXEImageSet {
        let root = imagesDirectory + "/pxe"
        let names = (fileSystem.directoryEntries(at: root) ?? [])
            .filter { !$0.hasPrefix(".") && fileSystem.kind(at: root + "/" + $0) == .directory }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var images: [PXEImage] = []
        var problems: [PXEProblem] = []
        var marked: [String] = []
        for name in names {
            let folder = root + "/" + name
            guard isSafeName(name) else { problems.append(PXEProblem(name: name, reason: .badName)); continue }
            guard let kernel = PXEImage.kernelNames.first(where: { fileSystem.kind(at: folder + "/" + $0) == .regular }) else {
                problems.append(PXEProblem(name: name, reason: .kernelMissing))
                continue
            }
            let initrd = PXEImage.initrdNames.first { fileSystem.kind(at: folder + "/" + $0) == .regular }
            var cmdline = ""
            if fileSystem.kind(at: folder + "/" + PXEImage.cmdlineName) != .missing {
                do {
                    let data = try fileSystem.read(folder + "/" + PXEImage.cmdlineName, limit: PXEImage.maximumCmdlineBytes)
                    guard let text = String(bytes: data, encoding: .utf8), let line = oneLine(text) else {
                        problems.append(PXEProblem(name: name, reason: .cmdlineControlCharacter))
                        continue
                    }
                    cmdline = line
                } catch {
                    problems.append(PXEProblem(name: name, reason: .cmdlineUnreadable(error.description)))
                    continue
                }
            }
            if fileSystem.kind(at: folder + "/" + PXEImage.defaultMarkerName) == .regular { marked.append(name) }
            let prefix = "pxe/" + name + "/"
            images.append(PXEImage(name: name, kernel: prefix + kernel, initrd: initrd.map { prefix + $0 },
                                   cmdline: cmdline, isDefault: false))
        }
        var chosen: String?
        if let defaultName {
            if images.contains(where: { $0.name == defaultName }) { chosen = defaultName } else {
                problems.append(PXEProblem(name: defaultName, reason: .defaultNotFound))
            }
        }
        if chosen == nil {
            let valid = marked.filter { name in images.contains { $0.name == name } }
            if valid.count > 1, let first = valid.first {
                problems.append(PXEProblem(name: valid.joined(separator: ","), reason: .severalDefaults(chosen: first)))
            }
            chosen = valid.first ?? (images.count == 1 ? images.first?.name : nil)
        }
        for position in images.indices where images[position].name == chosen { images[position].isDefault = true }
        return PXEImageSet(images: images, problems: problems)
    }

    /// Checks the images the config declares (`pxe.images`, `pxe.default-image`): each file
    /// must exist under `<imagesDirectory>/pxe/<name>/`, and the command line must be one line.
    /// The default is `defaultName`, else the only image; with several there is none (a menu).
    public static func validate(_ declared: [PXEImageDeclaration], defaultName: String?, imagesDirectory: String,
                                fileSystem: any ImageFileSystem = LocalFileSystem()) -> PXEImageSet {
        var images: [PXEImage] = []
        var problems: [PXEProblem] = []
        for entry in declared {
            guard isSafeName(entry.name) else { problems.append(PXEProblem(name: entry.name, reason: .badName)); continue }
            let prefix = "pxe/" + entry.name + "/"
            var missing: [PXEProblem] = []
            for file in [entry.kernel] + (entry.initrd.map { [$0] } ?? []) {
                if !KeyReader.isSafeRelativePath(file) || fileSystem.kind(at: imagesDirectory + "/" + prefix + file) != .regular {
                    missing.append(PXEProblem(name: entry.name, reason: .fileMissing(prefix + file)))
                }
            }
            guard missing.isEmpty else { problems += missing; continue }
            guard let cmdline = oneLine(entry.cmdline) else {
                problems.append(PXEProblem(name: entry.name, reason: .cmdlineControlCharacter))
                continue
            }
            images.append(PXEImage(name: entry.name, kernel: prefix + entry.kernel, initrd: entry.initrd.map { prefix + $0 },
                                   cmdline: cmdline, isDefault: false))
        }
        var chosen = defaultName ?? (images.count == 1 ? images.first?.name : nil)
        if let wanted = defaultName, !images.contains(where: { $0.name == wanted }) {
            problems.append(PXEProblem(name: wanted, reason: .defaultNotFound))
            chosen = nil
        }
        for position in images.indices where images[position].name == chosen { images[position].isDefault = true }
        return PXEImageSet(images: images, problems: problems)
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// Whitespace runs (space, tab, CR, LF) become one space; nil if any other control
    /// character remains (it could break out of an iPXE script line).
    static func oneLine(_ text: String) -> String? {
        var words: [Substring] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            guard word.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return nil }
            words.append(word)
        }
        return words.joined(separator: " ")
    }
}
