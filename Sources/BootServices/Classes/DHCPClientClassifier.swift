import NetbootWire

/// What one host reservation adds for its MAC (Kea host `client-classes`, `option-data`,
/// `boot-file-name`, `next-server`; dnsmasq `dhcp-host=MAC,set:tag` with `dhcp-boot=tag:…`).
public struct DHCPHostSettings: Hashable, Sendable {
    /// Classes the host is a member of whatever its packets say.
    public var classes: [String]
    public var options: [DHCPOptionData]
    public var boot: DHCPBootSettings

    public init(classes: [String] = [], options: [DHCPOptionData] = [], boot: DHCPBootSettings = DHCPBootSettings()) {
        self.classes = classes
        self.options = options
        self.boot = boot
    }
}

/// One client as the classes and its reservation see it: the classes it is in (configuration
/// order), its boot settings (the reservation's first, then each class's in order, field by
/// field) and the reservation's options.
public struct DHCPClientProfile: Hashable, Sendable {
    public var classes: [String]
    public var boot: DHCPBootSettings
    public var hostOptions: [DHCPOptionData]
    /// Which class (or `host`) set each boot field, for `explain` and the log.
    public var bootSources: [String: String]

    public init(classes: [String] = [], boot: DHCPBootSettings = DHCPBootSettings(), hostOptions: [DHCPOptionData] = [],
                bootSources: [String: String] = [:]) {
        self.classes = classes
        self.boot = boot
        self.hostOptions = hostOptions
        self.bootSources = bootSources
    }

    public static let none = DHCPClientProfile()
}

/// Sorts clients into classes: the class list and the reservations' host settings in, a
/// `DHCPClientProfile` per client out. Pure.
public struct DHCPClientClassifier: Hashable, Sendable {
    public var classes: [DHCPClientClass]
    public var hosts: [MACAddress: DHCPHostSettings]

    public init(classes: [DHCPClientClass] = [], hosts: [MACAddress: DHCPHostSettings] = [:]) {
        self.classes = classes
        self.hosts = hosts
    }

    public var isEmpty: Bool { classes.isEmpty && hosts.isEmpty }

    public func profile(for facts: DHCPClientFacts) -> DHCPClientProfile {
        let host = facts.mac.flatMap { hosts[$0] }
        let members = classes.filter { host?.classes.contains($0.name) == true || $0.match.matches(facts) }
        var boot = host?.boot ?? DHCPBootSettings()
        var sources: [String: String] = [:]
        func note(_ field: String, _ isSet: Bool, _ source: String) {
            if isSet, sources[field] == nil { sources[field] = source }
        }
        if let host {
            note("boot-file", host.boot.bootFile != nil, "host")
            note("next-server", host.boot.nextServer != nil, "host")
            note("ipxe-script", host.boot.ipxeScript != nil, "host")
            note("bsdp-images", host.boot.bsdpImages != nil, "host")
        }
        for member in members {
            note("boot-file", member.boot.bootFile != nil, "class \(member.name)")
            note("next-server", member.boot.nextServer != nil, "class \(member.name)")
            note("ipxe-script", member.boot.ipxeScript != nil, "class \(member.name)")
            note("bsdp-images", member.boot.bsdpImages != nil, "class \(member.name)")
            boot = boot.filling(from: member.boot)
        }
        return DHCPClientProfile(classes: members.map(\.name), boot: boot, hostOptions: host?.options ?? [],
                                 bootSources: sources)
    }

    /// The option levels of a client in this profile beyond its subnet: host, its classes in
    /// order, and `global`.
    public func optionLevels(for profile: DHCPClientProfile, global: [DHCPOptionData]) -> [DHCPOptionResolver.Level] {
        var levels = [DHCPOptionResolver.Level(.host, profile.hostOptions)]
        for name in profile.classes {
            if let found = classes.first(where: { $0.name == name }) {
                levels.append(DHCPOptionResolver.Level(.clientClass, className: name, found.options))
            }
        }
        levels.append(DHCPOptionResolver.Level(.global, global))
        return levels
    }
}
