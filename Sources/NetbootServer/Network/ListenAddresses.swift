import NetbootWire

/// The addresses TFTP and HTTP listen on (issue 14 item 1): the configured `listen` list when
/// it names any, else every IPv4 address of the served interfaces — the same interfaces DHCP
/// serves (`interfaces:`; every non-loopback interface that is up when empty). So loopback and
/// interfaces left out of `interfaces:` (a management network) get no answer, as with
/// dnsmasq's `--bind-interfaces`. Addresses are read once at start-up: an interface that gains
/// an address later is served after a restart.
public enum ListenAddresses {
    /// The addresses, in interface order, and what kept an interface out (missing, no IPv4).
    public static func resolve(listen: [IPv4Address], interfaces names: [String],
                               from all: [NetworkInterface]) -> (addresses: [IPv4Address], problems: [String]) {
        if !listen.isEmpty { return (listen, []) }
        let (selected, missing) = NetworkInterface.select(names: names, from: all)
        var problems = missing.map { "interface \($0) does not exist" }
        var addresses: [IPv4Address] = []
        for interface in selected {
            if interface.ipv4.isEmpty { problems.append("interface \(interface.name) has no IPv4 address") }
            for entry in interface.ipv4 where !addresses.contains(entry.address) { addresses.append(entry.address) }
        }
        return (addresses, problems)
    }
}
