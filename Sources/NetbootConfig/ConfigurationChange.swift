/// Which top-level keys of `etc/netboot.yaml` differ between two configurations: what
/// `netboot config reload` reports as changed (docs/control.md).
extension NetbootConfiguration {
    /// Each top-level key with a test of whether it differs. A unit test checks that every
    /// stored property of `NetbootConfiguration` is listed, so a new section cannot be missed.
    static let topLevelKeys: [(key: String, property: String, differs: @Sendable (NetbootConfiguration, NetbootConfiguration) -> Bool)] = [
        ("interfaces", "interfaces", { $0.interfaces != $1.interfaces }),
        ("server-address", "serverAddress", { $0.serverAddress != $1.serverAddress }),
        ("state-dir", "stateDir", { $0.stateDir != $1.stateDir }),
        ("images-dir", "imagesDir", { $0.imagesDir != $1.imagesDir }),
        ("nice", "nice", { $0.nice != $1.nice }),
        ("logs", "logs", { $0.logs != $1.logs }),
        ("dhcp", "dhcp", { $0.dhcp != $1.dhcp }),
        ("bsdp", "bsdp", { $0.bsdp != $1.bsdp }),
        ("tftp", "tftp", { $0.tftp != $1.tftp }),
        ("http", "http", { $0.http != $1.http }),
        ("pxe", "pxe", { $0.pxe != $1.pxe }),
        ("capture", "capture", { $0.capture != $1.capture }),
        ("bridge", "bridge", { $0.bridge != $1.bridge }),
        ("store", "store", { $0.store != $1.store }),
    ]

    /// The top-level keys whose values differ from `old`'s, in file order.
    public func changedKeys(from old: NetbootConfiguration) -> [String] {
        Self.topLevelKeys.filter { $0.differs(old, self) }.map(\.key)
    }
}
