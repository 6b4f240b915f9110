import NetbootWire

/// What a PC, UEFI or iPXE client is told at each stage of a network boot, and why (issue 20,
/// `netboot explain --mac MAC --firmware …`): the DHCP request its firmware sends is built, run
/// through the same `DHCPClientClassifier` and `PXEResponder.answer` the server runs, and again
/// as iPXE (user class `iPXE`) for the script. Pure.
public struct PCBootExplanation: Hashable, Sendable, Codable {
    /// The firmware a client boots with: the option 60 prefix and option 93 type it sends.
    public enum Firmware: String, Hashable, Sendable, Codable, CaseIterable {
        case bios, uefi
        case uefiArm64 = "uefi-arm64"
        case uefiHTTP = "uefi-http"

        public var architecture: UInt16 {
            switch self {
            case .bios: 0
            case .uefi: 7
            case .uefiArm64: 11
            case .uefiHTTP: 16
            }
        }

        public var vendorClass: String {
            let arch = String(architecture).count < 5
                ? String(repeating: "0", count: 5 - String(architecture).count) + String(architecture) : String(architecture)
            return (self == .uefiHTTP ? "HTTPClient" : "PXEClient") + ":Arch:\(arch):UNDI:003016"
        }
    }

    /// One stage: what the client sends, the classes it is in, and what it is told.
    public struct Stage: Hashable, Sendable, Codable {
        public var name: String
        public var vendorClass: String
        public var architecture: UInt16
        public var userClass: String?
        public var classes: [String]
        /// `file` / option 67: a TFTP path or a URL; nil when there is no answer.
        public var bootFile: String?
        /// `siaddr`, the TFTP server, for a TFTP path.
        public var nextServer: String?
        /// Where the boot file came from: `host`, `class NAME` or the `pxe:` key.
        public var source: String
        /// Why there is no answer.
        public var problem: String?
        /// Stage 3 (the appliance's `/boot/ipxe` script): the image it boots, or the menu's images.
        public var image: String?
        public var menu: [String]?
    }

    public var mac: String
    public var firmware: Firmware
    public var stages: [Stage]

    /// `server` is the address `{server}` expands to (the server identifier). With `menu` (the
    /// PXE image set as `/boot/ipxe` renders it), a third stage says what that script boots when
    /// iPXE is sent there.
    public init(mac: MACAddress, firmware: Firmware, classifier: DHCPClientClassifier, pxe: PXEResponder,
                server: IPv4Address, interface: String? = nil, menu: IPXEBootMenu? = nil) {
        self.mac = mac.description
        self.firmware = firmware
        var stages: [Stage] = []
        let first: PXEResponder.Client = firmware == .uefiHTTP
            ? .http(architecture: firmware.architecture) : .pxe(architecture: firmware.architecture)
        stages.append(Self.stage(firmware == .uefiHTTP ? "firmware HTTP boot" : "firmware PXE", client: first,
                                 userClass: nil, mac: mac, firmware: firmware, classifier: classifier, pxe: pxe,
                                 server: server, interface: interface))
        // The loaded boot file is iPXE when it is one of the pxe: boot files (or any file, for a
        // class that chains to iPXE): iPXE asks again with user class iPXE.
        stages.append(Self.stage("iPXE", client: .ipxe(architecture: firmware.architecture), userClass: "iPXE",
                                 mac: mac, firmware: firmware, classifier: classifier, pxe: pxe, server: server,
                                 interface: interface))
        if let menu, let script = stages.last?.bootFile, script.contains("/boot/ipxe") {
            var stage = Stage(name: "iPXE script /boot/ipxe", vendorClass: firmware.vendorClass,
                              architecture: firmware.architecture, userClass: "iPXE", classes: [], bootFile: nil,
                              nextServer: nil, source: "pxe.images / pxe.default-image", problem: nil)
            if let image = menu.image(for: mac) {
                stage.image = image.name
                stage.bootFile = image.kernel
            } else if menu.images.isEmpty {
                stage.problem = "no PXE images are configured"
            } else {
                stage.menu = menu.images.map(\.name)
            }
            stages.append(stage)
        }
        self.stages = stages
    }

    private static func stage(_ name: String, client: PXEResponder.Client, userClass: String?, mac: MACAddress,
                              firmware: Firmware, classifier: DHCPClientClassifier, pxe: PXEResponder,
                              server: IPv4Address, interface: String?) -> Stage {
        let facts = DHCPClientFacts(mac: mac, vendorClass: Array(firmware.vendorClass.utf8),
                                    userClass: userClass.map(DHCPUserClass.init(text:)),
                                    architectures: [firmware.architecture], interface: interface)
        let profile = classifier.profile(for: facts)
        var stage = Stage(name: name, vendorClass: firmware.vendorClass, architecture: firmware.architecture,
                          userClass: userClass, classes: profile.classes, bootFile: nil, nextServer: nil, source: "",
                          problem: nil)
        switch pxe.answer(for: client, mac: mac, server: server, clientAddress: .any, boot: profile.boot) {
        case .failure(let why):
            stage.problem = why.description
        case .success(let answer):
            stage.bootFile = answer.bootFile
            if !answer.bootFile.contains("://") {
                stage.nextServer = (profile.boot.nextServer ?? server).description
            }
        }
        stage.source = Self.source(client, profile: profile)
        return stage
    }

    private static func source(_ client: PXEResponder.Client, profile: DHCPClientProfile) -> String {
        switch client {
        case .ipxe:
            return profile.bootSources["ipxe-script"] ?? profile.bootSources["boot-file"].map { "\($0) (boot-file)" }
                ?? "pxe.ipxe-script-url"
        case .http:
            return profile.bootSources["boot-file"] ?? "pxe.http-boot-url"
        case .pxe(let arch):
            if let source = profile.bootSources["boot-file"] { return source }
            switch arch ?? 0 {
            case 0: return "pxe.bios"
            case 11: return "pxe.uefi-arm64"
            default: return "pxe.uefi-x64"
            }
        }
    }

    /// One line per fact, for the terminal.
    public var lines: [String] {
        var lines = ["\(mac) booting with \(firmware.rawValue) firmware (option 60 \(stages.first?.vendorClass ?? ""), option 93 \(firmware.architecture))"]
        for (index, stage) in stages.enumerated() {
            if stage.name.hasPrefix("iPXE script") {
                lines.append("stage \(index + 1), \(stage.name):")
                if let image = stage.image {
                    lines.append("  boots image \(image) (kernel \(stage.bootFile ?? "?")) — from \(stage.source)")
                } else if let menu = stage.menu {
                    lines.append("  shows a menu of \(menu.count) images: \(menu.joined(separator: ", ")) (no default image)")
                } else {
                    lines.append("  boots nothing: \(stage.problem ?? "no image")")
                }
                continue
            }
            let classes = stage.classes.isEmpty ? "no class" : "classes: " + stage.classes.joined(separator: ", ")
            let sent = stage.userClass.map { " (user class \($0))" } ?? ""
            lines.append("stage \(index + 1), \(stage.name)\(sent): \(classes)")
            if let file = stage.bootFile {
                let server = stage.nextServer.map { " from TFTP server \($0)" } ?? ""
                lines.append("  gets \(file)\(server) — from \(stage.source)")
            } else {
                lines.append("  gets no answer: \(stage.problem ?? "no boot file")")
            }
        }
        return lines
    }
}
