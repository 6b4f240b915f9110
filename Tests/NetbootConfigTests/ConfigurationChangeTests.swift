import Testing
@testable import NetbootConfig

@Suite struct ConfigurationChangeTests {
    @Test func equalConfigurationsChangeNothing() {
        #expect(NetbootConfiguration.defaults.changedKeys(from: .defaults).isEmpty)
    }

    @Test func eachChangedSectionIsNamedOnceInFileOrder() {
        var changed = NetbootConfiguration.defaults
        changed.tftp.maxBlksize = 512
        changed.tftp.port = 6969
        changed.imagesDir = "other-images"
        changed.dhcp.mode = .authoritative
        #expect(changed.changedKeys(from: .defaults) == ["images-dir", "dhcp", "tftp"])
    }

    /// A section added to `NetbootConfiguration` must be added to `topLevelKeys` too, or
    /// `config reload` would call its changes "unchanged".
    @Test func everyStoredPropertyIsCompared() {
        let properties = Mirror(reflecting: NetbootConfiguration.defaults).children.compactMap(\.label)
        #expect(Set(properties) == Set(NetbootConfiguration.topLevelKeys.map(\.property)))
    }
}
