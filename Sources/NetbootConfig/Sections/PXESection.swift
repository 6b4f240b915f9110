import LocatedYAML

/// `pxe:` — PXE, iPXE and UEFI HTTP boot (issue 3 item 4, issue 5 iPXE scripts): the boot file
/// per client architecture (DHCP option 93, RFC 4578), the URLs handed to UEFI HTTP boot and
/// to iPXE, and the PXE image set — per image a kernel, initrd and command line under
/// `<images-dir>/pxe/<name>/`.
///
/// URL templates may use `{server}` (the server address the client reached), `{mac}` (the
/// client's MAC, `aa:bb:cc:dd:ee:ff`) and `{ip}` (the client's address).
extension NetbootConfiguration {
    public struct PXE: Sendable, Equatable {
        /// The placeholders URL templates may use.
        public static let placeholders = ["server", "mac", "ip"]

        /// Boot file for BIOS clients (architecture 0), relative to `tftp.root`.
        public var bios: String = "undionly.kpxe"
        /// Boot file for x86-64 UEFI clients (architectures 7 and 9).
        public var uefiX64: String = "ipxe.efi"
        /// Boot file for ARM64 UEFI clients (architecture 11).
        public var uefiArm64: String = "ipxe-arm64.efi"
        /// The URL given to UEFI HTTP boot clients (`HTTPClient…`).
        public var httpBootURL: String = "http://{server}/ipxe.efi"
        /// The script URL given to iPXE (user class `iPXE` or option 175).
        public var ipxeScriptURL: String = "http://{server}/boot/ipxe?mac={mac}"
        /// The PXE image set; empty: iPXE scripts have nothing to boot.
        public var images: [Image] = []
        /// The image unknown clients get; nil with several images: a menu.
        public var defaultImage: String? = nil

        public init() {}

        /// One Linux image: files under `<images-dir>/pxe/<name>/`.
        public struct Image: Sendable, Equatable {
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

        static func read(_ r: MappingReader) -> PXE {
            let d = PXE()
            var s = PXE()
            s.bios = r.relativeFile("bios", default: d.bios)
            s.uefiX64 = r.relativeFile("uefi-x64", default: d.uefiX64)
            s.uefiArm64 = r.relativeFile("uefi-arm64", default: d.uefiArm64)
            s.httpBootURL = r.urlTemplate("http-boot-url", default: d.httpBootURL)
            s.ipxeScriptURL = r.urlTemplate("ipxe-script-url", default: d.ipxeScriptURL)
            var seen: Set<String> = []
            s.images = r.list("images", default: d.images) { node, name in
                let e = MappingReader(node, path: name, log: r.log)
                defer { e.finish() }
                let imageName = e.require(e.optionalString("name"), "name")
                let kernel = e.require(e.optionalRelativeFile("kernel"), "kernel")
                let initrd = e.optionalRelativeFile("initrd")
                let cmdline = e.string("cmdline", default: "")
                guard let imageName, let kernel else { return nil }
                guard isImageName(imageName) else {
                    e.log.error("\(e.name("name")): '\(imageName)' must be letters, digits, '.', '_' or '-' (a folder name)",
                                at: e.mark(of: "name"), rule: .invalidValue)
                    return nil
                }
                guard seen.insert(imageName).inserted else {
                    e.log.error("\(e.name("name")): image '\(imageName)' is declared twice", at: e.mark(of: "name"), rule: .conflict)
                    return nil
                }
                return Image(name: imageName, kernel: kernel, initrd: initrd, cmdline: cmdline)
            }
            s.defaultImage = r.optionalString("default-image")
            if let wanted = s.defaultImage, !s.images.contains(where: { $0.name == wanted }) {
                var message = "\(r.name("default-image")): no image named '\(wanted)' in \(r.name("images"))"
                if let suggestion = Suggestion.closest(to: wanted, among: s.images.map(\.name)) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                r.log.error(message, at: r.mark(of: "default-image"), rule: .conflict)
            }
            return s
        }

        static func isImageName(_ text: String) -> Bool {
            !text.isEmpty && text != "." && text != ".." && text.utf8.count <= 255
                && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        }
    }
}

extension MappingReader {
    /// A file path relative to a served root: no leading `/`, no `..` part, no NUL.
    func relativeFile(_ key: String, default value: String) -> String {
        optionalRelativeFile(key) ?? value
    }

    func optionalRelativeFile(_ key: String) -> String? {
        guard let node = node(key), let text = Scalars.string(node, name(key), log) else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard !text.isEmpty, !text.hasPrefix("/"), !text.contains("\u{0}"), !parts.contains("..") else {
            log.error("\(name(key)): '\(text)' must be a relative path inside the root (no leading '/', no '..')",
                      at: node.mark, rule: .invalidValue)
            return nil
        }
        return text
    }

    /// An `http://` URL template whose `{placeholders}` are all known.
    func urlTemplate(_ key: String, default value: String) -> String {
        guard let node = node(key), let text = Scalars.string(node, name(key), log) else { return value }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            log.error("\(name(key)): expected an http:// URL, found '\(text)'", at: node.mark, rule: .invalidValue)
            return value
        }
        var valid = true
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                log.error("\(name(key)): unclosed '{' in '\(text)'", at: node.mark, rule: .invalidValue)
                return value
            }
            let placeholder = String(rest[rest.index(after: open)..<close])
            if !NetbootConfiguration.PXE.placeholders.contains(placeholder) {
                var message = "\(name(key)): unknown placeholder '{\(placeholder)}'; known: "
                    + NetbootConfiguration.PXE.placeholders.map { "{\($0)}" }.joined(separator: ", ")
                if let suggestion = Suggestion.closest(to: placeholder, among: NetbootConfiguration.PXE.placeholders) {
                    message += " (did you mean '{\(suggestion)}'?)"
                }
                log.error(message, at: node.mark, rule: .invalidValue)
                valid = false
            }
            rest = rest[rest.index(after: close)...]
        }
        return valid ? text : value
    }
}
