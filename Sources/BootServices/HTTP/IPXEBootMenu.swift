import BootImages
import NetbootWire

/// One bootable entry as the iPXE script sees it: what iPXE loads and how (kernel, initrds,
/// command line). Paths are relative to the HTTP root (`pxe/debian/vmlinuz`) or full URLs
/// (`http://…`); both may hold the `{mac}`, `{ip}` and `{server}` placeholders. Built from
/// BootImages' `PXEImage` (the `images/pxe/<name>/` set) with ``init(_:)``.
public struct IPXEImage: Equatable, Sendable {
    public var name: String
    /// A label for menus; the name when nil.
    public var title: String?
    public var kernel: String
    public var initrds: [String]
    public var cmdline: String

    public init(name: String, title: String? = nil, kernel: String, initrds: [String] = [], cmdline: String = "") {
        self.name = name
        self.title = title
        self.kernel = kernel
        self.initrds = initrds
        self.cmdline = cmdline
    }
}

extension IPXEImage {
    /// An entry from the PXE image set; its paths are relative to the images directory, which
    /// is the HTTP root in the default configuration.
    public init(_ image: PXEImage) {
        self.init(name: image.name, kernel: image.kernel, initrds: image.initrd.map { [$0] } ?? [],
                  cmdline: image.cmdline)
    }
}

/// The PXE image set as iPXE sees it, and the script a client gets from `GET /boot/ipxe?mac=…`.
///
/// A client whose MAC is assigned gets that image; others get the default image; with no
/// default and several images they get a `menu`/`item`/`choose` menu; with no default and one
/// image, that image. With no images the script says so and exits (iPXE then tries the next
/// boot device). Script syntax: ipxe.org/scripting, ipxe.org/cmd/menu.
public struct IPXEBootMenu: Equatable, Sendable {
    public var images: [IPXEImage]
    /// The image name unknown clients boot.
    public var defaultImage: String?
    /// Per-client image names.
    public var assignments: [MACAddress: String]
    /// Menu timeout in milliseconds (0 waits for a choice).
    public var menuTimeoutMilliseconds: Int
    /// Values every script hands the booting machine (the proxy bridge's URL and certificate
    /// fingerprint, docs/bridge.md "Discovery"); empty by default.
    public var discovery = IPXEDiscovery()

    public init(images: [IPXEImage] = [], defaultImage: String? = nil,
                assignments: [MACAddress: String] = [:], menuTimeoutMilliseconds: Int = 0) {
        self.images = images
        self.defaultImage = defaultImage
        self.assignments = assignments
        self.menuTimeoutMilliseconds = menuTimeoutMilliseconds
    }

    /// The menu of a scanned or validated PXE image set (its default, if any, boots unknown clients).
    public init(imageSet: PXEImageSet, assignments: [MACAddress: String] = [:]) {
        self.init(images: imageSet.images.map(IPXEImage.init), defaultImage: imageSet.defaultImage?.name,
                  assignments: assignments)
    }

    /// Who asks: substituted for `{mac}`, `{ip}` and `{server}` (`host[:port]` the client used).
    public struct Client: Equatable, Sendable {
        public var mac: MACAddress?
        public var ip: String
        public var server: String

        public init(mac: MACAddress?, ip: String, server: String) {
            self.mac = mac
            self.ip = ip
            self.server = server
        }
    }

    /// The image this client boots, or nil when it gets a menu (or there is nothing to boot).
    public func image(for mac: MACAddress?) -> IPXEImage? {
        if let mac, let name = assignments[mac], let image = images.first(where: { $0.name == name }) {
            return image
        }
        if let name = defaultImage, let image = images.first(where: { $0.name == name }) { return image }
        return images.count == 1 ? images[0] : nil
    }

    /// The script, `#!ipxe` first, lines ending in `\n`. `session` is what the appliance decided
    /// for this boot (``IPXEBootSession``): local disk instead of the menu, or kernel arguments
    /// for this client alone (its enrollment token).
    public func script(for client: Client, session: IPXEBootSession = IPXEBootSession()) -> String {
        var out = "#!ipxe\n"
        if let reason = session.localBoot {
            // `exit 1` hands control back to the firmware, which tries its next boot device:
            // UEFI's boot manager goes on to the next Boot#### option only when one fails, and a
            // bare `exit` (status 0, EFI_SUCCESS) ends the boot loop in the Boot Manager menu
            // (docs/pxe.md "Boot decisions": why not `sanboot --drive 0x80`).
            return out + "echo netboot: booting from the local disk: " + Self.clean(reason) + "\nexit 1\n"
        }
        let host = IPXEDiscovery.host(of: client.server)
        for (name, value) in discovery.variables {
            out += "set " + Self.clean(name) + " " + Self.clean(value.replacingOccurrences(of: "{host}", with: host)) + "\n"
        }
        let arguments = (discovery.kernelArguments + session.kernelArguments)
            .map { Self.clean($0.replacingOccurrences(of: "{host}", with: host)) }
        if let image = image(for: client.mac) {
            out += Self.bootLines(image, client: client, arguments: arguments)
            return out
        }
        guard !images.isEmpty else {
            return out + "echo netboot: no PXE images are configured\nexit 1\n"
        }
        out += "menu netboot: choose an image\n"
        for (index, image) in images.enumerated() {
            out += "item img\(index) " + Self.clean(image.title ?? image.name) + "\n"
        }
        let timeout = menuTimeoutMilliseconds > 0 ? " --timeout \(menuTimeoutMilliseconds)" : ""
        out += "choose\(timeout) target && goto ${target} || exit 1\n"
        for (index, image) in images.enumerated() {
            out += ":img\(index)\n" + Self.bootLines(image, client: client, arguments: arguments)
        }
        return out
    }

    /// The kernel line names every initrd (`initrd=<name>`) unless the command line already
    /// holds an `initrd=`: under UEFI the kernel's EFI stub loads an initrd only by the name
    /// given on its command line, from the files iPXE registers (Linux
    /// Documentation/admin-guide/efi-stub.rst), while BIOS boots ignore the argument. Each
    /// initrd is fetched with `--name` (ipxe.org/cmd/imgfetch), so the name is ours to choose.
    private static func bootLines(_ image: IPXEImage, client: Client, arguments: [String]) -> String {
        let names = initrdNames(image.initrds)
        var lines = "kernel " + url(image.kernel, client: client)
        var cmdline = ([clean(substitute(image.cmdline, client: client))] + arguments).filter { !$0.isEmpty }.joined(separator: " ")
        if !names.isEmpty && !namesInitrd(cmdline) {
            let arguments = names.map { "initrd=" + $0 }.joined(separator: " ")
            cmdline = cmdline.isEmpty ? arguments : arguments + " " + cmdline
        }
        if !cmdline.isEmpty { lines += " " + cmdline }
        lines += "\n"
        for (initrd, name) in zip(image.initrds, names) {
            lines += "initrd --name " + name + " " + url(initrd, client: client) + "\n"
        }
        return lines + "boot\n"
    }

    /// Whether a kernel command line already names an initrd (an `initrd=` argument before any
    /// `--`, after which arguments belong to init).
    static func namesInitrd(_ cmdline: String) -> Bool {
        for word in cmdline.split(separator: " ") {
            if word == "--" { return false }
            if word.hasPrefix("initrd=") { return true }
        }
        return false
    }

    /// One iPXE image name per initrd: the last path segment (without query or fragment) in
    /// letters, digits, `.`, `_`, `-` (others become `_`), `initrd` when nothing is left, and
    /// `-2`, `-3`… appended where two would be the same.
    static func initrdNames(_ initrds: [String]) -> [String] {
        var used: Set<String> = []
        return initrds.map { path in
            let location = path.prefix { $0 != "?" && $0 != "#" }
            let last = location.split(separator: "/").last.map(String.init) ?? ""
            let safe = String(last.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
            let base = safe.isEmpty || safe.allSatisfy({ $0 == "." }) ? "initrd" : safe
            var name = base
            var suffix = 2
            while used.contains(name) {
                name = base + "-\(suffix)"
                suffix += 1
            }
            used.insert(name)
            return name
        }
    }

    private static func url(_ path: String, client: Client) -> String {
        let value = clean(substitute(path, client: client))
        if value.contains("://") { return value }
        let relative = value.drop { $0 == "/" }
        return "http://" + clean(client.server) + "/" + relative
    }

    /// Replaces the placeholders (single pass, so a substituted value is never re-expanded).
    static func substitute(_ text: String, client: Client) -> String {
        var out = ""
        var rest = Substring(text)
        let values = ["{mac}": client.mac?.description ?? "", "{ip}": client.ip, "{server}": client.server]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let tail = rest[open...]
            if let (key, value) = values.first(where: { tail.hasPrefix($0.key) }) {
                out += value
                rest = tail.dropFirst(key.count)
            } else {
                out += "{"
                rest = tail.dropFirst()
            }
        }
        return out + rest
    }

    /// One script line can never become two: control characters become spaces.
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}

/// What the appliance tells every iPXE client besides its image: `set` variables and kernel
/// arguments (the bridge's discovery values, docs/bridge.md). `{host}` in a value becomes the
/// host the client reached the appliance at (the `{server}` value without its port).
public struct IPXEDiscovery: Equatable, Sendable {
    /// Name and value pairs, in order; each becomes `set NAME VALUE`.
    public var variables: [(name: String, value: String)]
    public var kernelArguments: [String]

    public init(variables: [(name: String, value: String)] = [], kernelArguments: [String] = []) {
        self.variables = variables
        self.kernelArguments = kernelArguments
    }

    public static func == (lhs: IPXEDiscovery, rhs: IPXEDiscovery) -> Bool {
        lhs.kernelArguments == rhs.kernelArguments && lhs.variables.map(\.name) == rhs.variables.map(\.name)
            && lhs.variables.map(\.value) == rhs.variables.map(\.value)
    }

    /// `10.0.0.1:8080` → `10.0.0.1`, `[fe80::1]:80` → `fe80::1`, `boot` → `boot`.
    static func host(of server: String) -> String {
        if server.hasPrefix("["), let close = server.firstIndex(of: "]") {
            return String(server[server.index(after: server.startIndex)..<close])
        }
        if server.filter({ $0 == ":" }).count == 1, let colon = server.firstIndex(of: ":") {
            return String(server[..<colon])
        }
        return server
    }
}

/// What the appliance decided for one script fetch, besides the image set (docs/pxe.md, "Boot
/// decisions"; issue 17): boot the local disk (with the reason, echoed on the console), or the
/// menu with these extra kernel arguments (`netboot.token=…`, the one-time enrollment token
/// minted for this MAC). The default is the plain menu.
public struct IPXEBootSession: Equatable, Sendable {
    /// Non-nil: the script tells iPXE to boot from the local disk, for this reason.
    public var localBoot: String?
    /// Appended to every kernel line after the discovery arguments. May hold a secret: never
    /// log a session.
    public var kernelArguments: [String]

    public init(localBoot: String? = nil, kernelArguments: [String] = []) {
        self.localBoot = localBoot
        self.kernelArguments = kernelArguments
    }
}

/// Decides the ``IPXEBootSession`` of one script fetch (the proxy bridge's store behind it in
/// `netboot serve`). Called on a thread pool, never on the event loop: it may read and write
/// a database.
public protocol IPXEBootSessionSource: Sendable {
    func session(for mac: MACAddress?) throws -> IPXEBootSession
}
