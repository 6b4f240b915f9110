import NetbootWire

extension MappingReader {
    /// `tftp.listen`, `http.listen`: the IPv4 addresses a service listens on. `[]` (the
    /// default) means the addresses of the served `interfaces:`; `[0.0.0.0]` every address of
    /// the host (the wildcard, alone); otherwise each address gets its own socket, as dnsmasq's
    /// `--listen-address` with `--bind-interfaces` (issue 14 item 1).
    func listenAddresses(_ key: String) -> [IPv4Address] {
        var seen: Set<IPv4Address> = []
        let addresses = list(key, default: []) { node, name -> IPv4Address? in
            guard let text = Scalars.string(node, name, log) else { return nil }
            guard let address = IPv4Address(text), address != .broadcast else {
                log.error("\(name): expected an IPv4 address (a.b.c.d) of this host, or 0.0.0.0 for all, found '\(text)'",
                          at: node.mark, rule: .wrongType)
                return nil
            }
            guard seen.insert(address).inserted else {
                log.error("\(name): \(text) is listed twice", at: node.mark, rule: .conflict)
                return nil
            }
            return address
        }
        if addresses.contains(.any), addresses.count > 1 {
            log.error("\(self.name(key)): 0.0.0.0 already means every address; list it alone", at: mark(of: key), rule: .conflict)
        }
        return addresses
    }
}
