import LocatedYAML
import NetbootWire
import Yams

/// `dhcp.client-classes:` and the boot settings of classes and reservations (issue 20): named
/// classes with match rules (Kea `client-classes`, dnsmasq tags), options and boot settings.
///
/// ```yaml
/// client-classes:
///   - name: uefi
///     match: { vendor-class: PXEClient, architecture: [7, 9] }
///     boot-file: ipxe.efi
/// ```
extension NetbootConfiguration.DHCP {
    /// Per-class or per-host boot settings; nil fields keep the `pxe:`/`bsdp:` defaults.
    public struct BootSettings: Sendable, Equatable {
        /// `file` and option 67: a path under `tftp.root` or a URL (HTTP boot, iPXE).
        public var bootFile: String?
        /// `siaddr`: the TFTP server (Kea `next-server`).
        public var nextServer: IPv4Address?
        /// The script URL iPXE gets instead of `pxe.ipxe-script-url`.
        public var ipxeScript: String?
        /// NetBoot image names (or `.nbi` folders) BSDP lists and lets the client select.
        public var bsdpImages: [String]?

        public init(bootFile: String? = nil, nextServer: IPv4Address? = nil, ipxeScript: String? = nil,
                    bsdpImages: [String]? = nil) {
            self.bootFile = bootFile
            self.nextServer = nextServer
            self.ipxeScript = ipxeScript
            self.bsdpImages = bsdpImages
        }
    }

    /// Match rules of a class: every rule written must hold; a rule with a list holds for any
    /// of its values.
    public struct ClassMatch: Sendable, Equatable {
        /// Option 60 prefixes.
        public var vendorClass: [String] = []
        /// Option 77 values (the whole option, or one RFC 3004 class).
        public var userClass: [String] = []
        /// Option 93 architecture types (RFC 4578: 0 BIOS, 7 x64 UEFI, 16 x64 UEFI HTTP…).
        public var architecture: [UInt16] = []
        /// MAC prefixes, 1–6 bytes.
        public var macPrefix: [[UInt8]] = []
        /// Option 82 circuit ids (text, or hex written `0x…`).
        public var circuitID: [[UInt8]] = []
        /// Option 82 remote ids (text, or hex written `0x…`).
        public var remoteID: [[UInt8]] = []
        /// Receiving interface names.
        public var interface: [String] = []

        public init() {}
    }

    public struct ClientClass: Sendable, Equatable {
        public var name: String
        public var match: ClassMatch
        public var optionData: [DHCPOptionData]
        public var boot: BootSettings

        public init(name: String, match: ClassMatch = ClassMatch(), optionData: [DHCPOptionData] = [],
                    boot: BootSettings = BootSettings()) {
            self.name = name
            self.match = match
            self.optionData = optionData
            self.boot = boot
        }
    }

    static func readClientClasses(_ r: MappingReader) -> [ClientClass] {
        var seen: [String: String] = [:]
        return r.list("client-classes", default: []) { node, name in
            let e = MappingReader(node, path: name, log: r.log)
            defer { e.finish() }
            let className = e.require(e.optionalString("name"), "name")
            let match = e.section("match", default: ClassMatch(), readMatch)
            let options = e.optionData("option-data")
            let boot = readBootSettings(e)
            guard let className else { return nil }
            guard !className.isEmpty, !className.contains(",") else {
                r.log.error("\(e.name("name")): '\(className)' is not a class name (non-empty, no commas)", at: e.mark(of: "name"), rule: .invalidValue)
                return nil
            }
            if let earlier = seen[className] {
                r.log.error("\(e.name("name")): class '\(className)' is already defined (\(earlier))", at: e.mark(of: "name"), rule: .conflict)
                return nil
            }
            seen[className] = name
            return ClientClass(name: className, match: match, optionData: options, boot: boot)
        }
    }

    private static func readMatch(_ m: MappingReader) -> ClassMatch {
        var match = ClassMatch()
        match.vendorClass = m.scalarOrList("vendor-class") { text, _ in text.isEmpty ? nil : text }
        match.userClass = m.scalarOrList("user-class") { text, _ in text.isEmpty ? nil : text }
        match.architecture = m.scalarOrList("architecture") { text, node in
            guard let value = UInt16(text) else {
                m.log.error("\(m.name("architecture")): '\(text)' is not an architecture type 0-65535 (RFC 4578: 0 BIOS, 7 x64 UEFI)",
                            at: node.mark, rule: .wrongType)
                return nil
            }
            return value
        }
        match.macPrefix = m.scalarOrList("mac-prefix") { text, node in
            let parts = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false)
            let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
            guard (1...6).contains(parts.count), bytes.count == parts.count else {
                m.log.error("\(m.name("mac-prefix")): expected 1-6 hex bytes like 52:54:00, found '\(text)'", at: node.mark, rule: .wrongType)
                return nil
            }
            return bytes
        }
        match.circuitID = m.scalarOrList("circuit-id") { text, node in relayID(text, node, m.name("circuit-id"), m.log) }
        match.remoteID = m.scalarOrList("remote-id") { text, node in relayID(text, node, m.name("remote-id"), m.log) }
        match.interface = m.scalarOrList("interface") { text, _ in text.isEmpty ? nil : text }
        return match
    }

    /// Text as its UTF-8 bytes, or `0x…` hex.
    private static func relayID(_ text: String, _ node: Node, _ name: String, _ log: DiagnosticLog) -> [UInt8]? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            guard let bytes = DHCPOptionDefinition.hex(text) else {
                log.error("\(name): '\(text)' is not hex bytes", at: node.mark, rule: .wrongType)
                return nil
            }
            return bytes
        }
        guard !text.isEmpty, text.utf8.count <= 255 else {
            log.error("\(name): expected 1-255 bytes of text or 0x hex", at: node.mark, rule: .wrongType)
            return nil
        }
        return Array(text.utf8)
    }

    /// `boot-file`, `next-server`, `ipxe-script`, `bsdp-images` of a class or reservation.
    static func readBootSettings(_ e: MappingReader) -> BootSettings {
        var boot = BootSettings()
        if let node = e.node("boot-file"), let text = Scalars.string(node, e.name("boot-file"), e.log) {
            if text.isEmpty || text.contains("\u{0}") || text.utf8.count > 255 {
                e.log.error("\(e.name("boot-file")): expected a file name or URL of 1-255 bytes", at: node.mark, rule: .invalidValue)
            } else {
                boot.bootFile = text
            }
        }
        boot.nextServer = e.ipv4("next-server")
        let script = e.urlTemplate("ipxe-script", default: "")
        boot.ipxeScript = script.isEmpty ? nil : script
        if e.has("bsdp-images") {
            boot.bsdpImages = e.list("bsdp-images", default: [String]()) { node, name in Scalars.string(node, name, e.log) }
        } else {
            _ = e.node("bsdp-images")
        }
        return boot
    }

    /// Every class a subnet or reservation names must be defined.
    static func checkClassNames(_ r: MappingReader, classes: [ClientClass], subnets: [Located<Subnet>],
                                reservations: [Located<Reservation>]) {
        let known = classes.map(\.name)
        func check(_ name: String, in entry: String, mark: Mark?) {
            guard !known.contains(name) else { return }
            var message = "\(entry): no client class named '\(name)'"
            if let suggestion = Suggestion.closest(to: name, among: known) { message += " (did you mean '\(suggestion)'?)" }
            r.log.error(message, at: mark, rule: .invalidValue)
        }
        for subnet in subnets {
            if let name = subnet.value.clientClass { check(name, in: "\(subnet.name).client-class", mark: subnet.mark) }
        }
        for reservation in reservations {
            for name in reservation.value.clientClasses { check(name, in: "\(reservation.name).client-classes", mark: reservation.mark) }
        }
    }
}

extension MappingReader {
    /// A key that takes one value or a list of them; each converted by `element` (given the
    /// text and its node; nil drops a value that was reported).
    func scalarOrList<T>(_ key: String, _ element: (String, Node) -> T?) -> [T] {
        guard let node = node(key) else { return [] }
        switch node {
        case let .scalar(scalar):
            return element(scalar.string, node).map { [$0] } ?? []
        case let .sequence(sequence):
            return sequence.enumerated().compactMap { index, item in
                guard case let .scalar(scalar) = item else {
                    log.error("\(name(key))[\(index)]: expected a value, found \(Scalars.describe(item))", at: item.mark, rule: .wrongType)
                    return nil
                }
                return element(scalar.string, item)
            }
        default:
            log.error("\(name(key)): expected a value or a list, found \(Scalars.describe(node))", at: node.mark, rule: .wrongType)
            return []
        }
    }
}
