import Foundation
import LocatedYAML
import NetbootWire
import Yams

/// The appliance's configuration: `etc/netboot.yaml`, the one file for all services
/// (DESIGN §4), as typed values.
///
/// Every key has a default; `NetbootConfiguration.defaults` is the whole file's worth of them,
/// compiled in, so that `netboot serve` starts with no file at all. Each section is its own
/// type in `Sections/` (`NetbootConfiguration.TFTP`, `.HTTP`, …) with its reader beside it.
///
/// Relative paths (`state-dir`, `images-dir`, `logs.dir`, `tftp.root`, `http.root`, …) are kept
/// as written and resolve against the working directory of `netboot`, the repository root in
/// the layout of DESIGN §4 (`make run` starts there).
public struct NetbootConfiguration: Sendable, Equatable {
    /// Interface names to serve on; empty means every non-loopback interface.
    public var interfaces: [String] = []
    /// The server identifier (DHCP option 54, BSDP sub-option 3), or `auto`: each
    /// interface's own primary IPv4 address.
    public var serverAddress: ServerAddress = .auto
    /// State: the SQLite store, captures.
    public var stateDir: String = "var"
    /// Boot images: `<name>.nbi/` folders, `pxe/` boot files and image sets.
    public var imagesDir: String = "images"
    /// The nice value every thread of the appliance runs at (-20…19; 0 leaves it as started):
    /// below the machine's other work, a DHCP request or a TFTP ACK is answered at once even
    /// while the CPUs are busy (docs/tftp.md, "Threads and their priority").
    public var nice: Int = -10
    public var logs = Logs()
    public var dhcp = DHCP()
    public var bsdp = BSDP()
    public var tftp = TFTP()
    public var http = HTTP()
    public var pxe = PXE()
    public var capture = Capture()
    public var bridge = Bridge()
    /// Where leases and BSDP selections live: `sqlite` (embedded) or a shared PostgreSQL.
    public var store: Store = .sqlite

    public init() {}

    /// The embedded defaults: exactly what the shipped `etc/netboot.yaml` says.
    public static let defaults = NetbootConfiguration()

    /// `auto` or a fixed IPv4 address.
    public enum ServerAddress: Hashable, Sendable, CustomStringConvertible {
        case auto
        case fixed(IPv4Address)

        public var description: String {
            switch self {
            case .auto: "auto"
            case let .fixed(address): address.description
            }
        }
    }
}

// MARK: - reading

/// The outcome of reading a configuration file: the configuration (defaults wherever a value
/// was missing or wrong), every diagnostic, and the text (for rendering source lines).
public struct ConfigurationResult: Sendable {
    public var configuration: NetbootConfiguration
    public var diagnostics: [Diagnostic]
    public var file: String
    public var text: String

    public var hasErrors: Bool { diagnostics.hasErrors }

    /// Each diagnostic with its source line and a caret, one after another, sorted by position.
    public var rendered: [String] {
        diagnostics.sorted { $0.location < $1.location }.map { $0.rendered(source: text.isEmpty ? nil : text) }
    }

    /// The keys a reader declared, and those the file wrote: internal, for the test that the
    /// shipped file spells out every key.
    var declaredKeys: Set<String> = []
    var writtenKeys: Set<String> = []
}

extension NetbootConfiguration {
    /// Reads and checks the file at `path`. Never throws: an unreadable file, broken YAML and
    /// every bad value come back as diagnostics.
    public static func load(contentsOf path: String) -> ConfigurationResult {
        read(YAMLSource(contentsOf: path))
    }

    /// Reads and checks `text`, naming it `file` in diagnostics.
    public static func parse(_ text: String, file: String) -> ConfigurationResult {
        read(YAMLSource(text: text, file: file))
    }

    static func read(_ source: YAMLSource) -> ConfigurationResult {
        let log = DiagnosticLog(file: source.file)
        log.append(source.diagnostics)
        var configuration = NetbootConfiguration.defaults
        if source.diagnostics.isEmpty {
            let root = MappingReader(source.root, path: "", log: log)
            configuration = read(root)
            checkPublishedPaths(configuration, root, workingDirectory: FileManager.default.currentDirectoryPath)
            root.finish()
        }
        var result = ConfigurationResult(configuration: configuration, diagnostics: log.diagnostics,
                                         file: source.file, text: PostgresURL.maskingPasswords(source.text))
        result.declaredKeys = log.declared
        result.writtenKeys = log.written
        return result
    }

    static func read(_ r: MappingReader) -> NetbootConfiguration {
        let d = NetbootConfiguration.defaults
        var c = NetbootConfiguration()
        var seenInterfaces: Set<String> = []
        c.interfaces = r.list("interfaces", default: d.interfaces) { node, name in
            guard let text = Scalars.string(node, name, r.log) else { return nil }
            // IFNAMSIZ is 16 including the NUL; names hold no '/' or whitespace.
            guard (1...15).contains(text.utf8.count), !text.contains(where: { $0 == "/" || $0.isWhitespace }) else {
                r.log.error("\(name): '\(text)' is not an interface name", at: node.mark, rule: .invalidValue)
                return nil
            }
            guard seenInterfaces.insert(text).inserted else {
                r.log.error("\(name): '\(text)' is listed twice", at: node.mark, rule: .conflict)
                return nil
            }
            return text
        }
        if let node = r.node("server-address"), let text = Scalars.string(node, "server-address", r.log) {
            if text == "auto" {
                c.serverAddress = .auto
            } else if let address = IPv4Address(text), address != .any, address != .broadcast {
                c.serverAddress = .fixed(address)
            } else {
                r.log.error("server-address: expected a unicast IPv4 address (a.b.c.d) or auto, found '\(text)'",
                            at: node.mark, rule: .wrongType)
            }
        }
        c.stateDir = r.path("state-dir", default: d.stateDir)
        c.imagesDir = r.path("images-dir", default: d.imagesDir)
        c.nice = r.int("nice", default: d.nice, in: -20...19)
        c.logs = r.section("logs", default: d.logs, Logs.read)
        c.dhcp = r.section("dhcp", default: d.dhcp, DHCP.read)
        c.bsdp = r.section("bsdp", default: d.bsdp, BSDP.read)
        c.tftp = r.section("tftp", default: d.tftp, TFTP.read)
        c.http = r.section("http", default: d.http, HTTP.read)
        c.pxe = r.section("pxe", default: d.pxe, PXE.read)
        c.capture = r.section("capture", default: d.capture, Capture.read)
        c.bridge = r.section("bridge", default: d.bridge, Bridge.read)
        c.store = readStore(r, default: d.store)
        // DHCP and TFTP are both UDP: one port cannot serve both.
        if c.dhcp.enabled, c.tftp.enabled, c.dhcp.port == c.tftp.port {
            r.log.error("tftp.port: \(c.tftp.port) is also dhcp.port (both UDP)", at: r.mark(of: "tftp"), rule: .conflict)
        }
        return c
    }
}

extension NetbootConfiguration {
    /// Refuses a state, log or capture directory inside a directory TFTP or HTTP serves
    /// (`PublishedPath`): each would hand out the pid file, the lease database, the logs or
    /// the captures to any client. The error points at the private directory's key when the
    /// file writes it, else at the served root's key.
    static func checkPublishedPaths(_ c: NetbootConfiguration, _ r: MappingReader, workingDirectory: String) {
        let privateDirectories: [(key: [String], path: String, holds: String)] = [
            (["state-dir"], c.stateDir, "the pid file and the lease database"),
            (["logs", "dir"], c.logs.dir, "the logs"),
            (["capture", "dir"], c.capture.dir, "the captures"),
        ]
        var served: [(key: [String], path: String, service: String)] = []
        if c.tftp.enabled { served.append((["tftp", "root"], c.tftp.root, "TFTP")) }
        if c.http.enabled { served.append((["http", "root"], c.http.root, "HTTP")) }
        for directory in privateDirectories {
            for root in served where PublishedPath.isInside(directory.path, root.path, workingDirectory: workingDirectory) {
                let name = directory.key.joined(separator: ".")
                let rootName = root.key.joined(separator: ".")
                let mark = r.writtenMark(of: directory.key) ?? r.writtenMark(of: root.key) ?? r.mark
                r.log.error("\(name): '\(directory.path)' is inside \(rootName) '\(root.path)': \(root.service) would "
                            + "serve \(directory.holds) to anyone; move one of them", at: mark, rule: .conflict)
            }
        }
    }
}

extension MappingReader {
    /// A filesystem path: a non-empty string without NUL bytes.
    func path(_ key: String, default value: String) -> String {
        optionalPath(key) ?? value
    }

    func optionalPath(_ key: String) -> String? {
        guard let node = node(key), let text = Scalars.string(node, name(key), log) else { return nil }
        guard !text.isEmpty, !text.contains("\u{0}") else {
            log.error("\(name(key)): expected a path, found '\(text)'", at: node.mark, rule: .invalidValue)
            return nil
        }
        return text
    }
}
