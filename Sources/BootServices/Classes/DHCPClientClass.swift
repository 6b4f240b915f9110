import NetbootWire

/// What a client class or a host reservation says about booting: the boot file (`file` and
/// option 67), the TFTP server (`siaddr`, Kea's `next-server`), the iPXE script URL, and which
/// Apple NetBoot images it may see (dnsmasq's `dhcp-boot=tag:…`; Kea's class `boot-file-name`
/// and `next-server`). Unset fields leave the `pxe:`/`bsdp:` defaults. Templates take
/// `{server}`, `{mac}` and `{ip}` as in `pxe:`.
public struct DHCPBootSettings: Hashable, Sendable {
    public var bootFile: String?
    public var nextServer: IPv4Address?
    public var ipxeScript: String?
    /// Names of the NetBoot images (`.nbi` folder names) offered over BSDP; nil: all.
    public var bsdpImages: [String]?

    public init(bootFile: String? = nil, nextServer: IPv4Address? = nil, ipxeScript: String? = nil,
                bsdpImages: [String]? = nil) {
        self.bootFile = bootFile
        self.nextServer = nextServer
        self.ipxeScript = ipxeScript
        self.bsdpImages = bsdpImages
    }

    public var isEmpty: Bool { bootFile == nil && nextServer == nil && ipxeScript == nil && bsdpImages == nil }

    /// Each field from `self` where set, else from `other` (self is the more specific).
    public func filling(from other: DHCPBootSettings) -> DHCPBootSettings {
        DHCPBootSettings(bootFile: bootFile ?? other.bootFile, nextServer: nextServer ?? other.nextServer,
                         ipxeScript: ipxeScript ?? other.ipxeScript, bsdpImages: bsdpImages ?? other.bsdpImages)
    }
}

/// A named class of clients (Kea `client-classes`, dnsmasq tags): match rules, the options its
/// members get (between subnet and global in precedence) and their boot settings.
///
/// A client is a member when every rule that is set matches (a rule with several values matches
/// any of them); a class with no rule matches only the hosts whose reservation names it.
public struct DHCPClientClass: Hashable, Sendable {
    public struct Match: Hashable, Sendable {
        /// Option 60 starts with one of these (`PXEClient:Arch:00007`, `HTTPClient`, `AAPLBSDPC`).
        public var vendorClassPrefixes: [String]
        /// Option 77 is one of these: the whole option as text (iPXE sends `iPXE`) or one class
        /// of an RFC 3004 list.
        public var userClasses: [String]
        /// Option 93 (RFC 4578 §2.1) holds one of these architecture types.
        public var architectures: [UInt16]
        /// `chaddr` starts with one of these byte prefixes (1–6 bytes: an OUI is 3).
        public var macPrefixes: [[UInt8]]
        /// Option 82 sub-option 1 (RFC 3046 §3.1) is one of these.
        public var circuitIDs: [[UInt8]]
        /// Option 82 sub-option 2 (RFC 3046 §3.2) is one of these.
        public var remoteIDs: [[UInt8]]
        /// The request arrived on one of these interfaces.
        public var interfaces: [String]

        public init(vendorClassPrefixes: [String] = [], userClasses: [String] = [], architectures: [UInt16] = [],
                    macPrefixes: [[UInt8]] = [], circuitIDs: [[UInt8]] = [], remoteIDs: [[UInt8]] = [],
                    interfaces: [String] = []) {
            self.vendorClassPrefixes = vendorClassPrefixes
            self.userClasses = userClasses
            self.architectures = architectures
            self.macPrefixes = macPrefixes
            self.circuitIDs = circuitIDs
            self.remoteIDs = remoteIDs
            self.interfaces = interfaces
        }

        /// True when no rule is set.
        public var isEmpty: Bool {
            vendorClassPrefixes.isEmpty && userClasses.isEmpty && architectures.isEmpty && macPrefixes.isEmpty
                && circuitIDs.isEmpty && remoteIDs.isEmpty && interfaces.isEmpty
        }
    }

    public var name: String
    public var match: Match
    public var options: [DHCPOptionData]
    public var boot: DHCPBootSettings

    public init(name: String, match: Match = Match(), options: [DHCPOptionData] = [], boot: DHCPBootSettings = DHCPBootSettings()) {
        self.name = name
        self.match = match
        self.options = options
        self.boot = boot
    }
}
