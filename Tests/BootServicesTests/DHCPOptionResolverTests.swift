import NetbootWire
import Testing
@testable import BootServices

/// Option precedence (Kea: host > subnet > class > global) and the PRL/always-send rule.
@Suite struct DHCPOptionResolverTests {
    static func option(_ code: UInt8, _ data: [UInt8], always: Bool = false) -> DHCPOptionData {
        DHCPOptionData(code: DHCPOptionCode(code), data: data, alwaysSend: always)
    }

    @Test func theMostSpecificLevelWinsPerCode() {
        let winners = DHCPOptionResolver.winners([
            .init(.global, [Self.option(42, [1, 1, 1, 1]), Self.option(26, [5, 220]), Self.option(66, [0x67])]),
            .init(.clientClass, className: "a", [Self.option(42, [2, 2, 2, 2]), Self.option(66, [0x61])]),
            .init(.clientClass, className: "b", [Self.option(66, [0x62]), Self.option(17, [0x72])]),
            .init(.host, [Self.option(42, [4, 4, 4, 4])]),
            .init(.subnet, [Self.option(42, [3, 3, 3, 3]), Self.option(66, [0x73])]),
        ])
        #expect(winners.map(\.option.code.rawValue) == [17, 26, 42, 66])
        #expect(winners.map(\.level) == [.clientClass, .global, .host, .subnet])
        #expect(winners[0].className == "b")
        #expect(winners[2].option.data == [4, 4, 4, 4])
        #expect(winners[3].option.data == [0x73])
        // Without host and subnet: the first class in configuration order beats a later one.
        let classes = DHCPOptionResolver.winners([
            .init(.global, [Self.option(66, [0x67])]),
            .init(.clientClass, className: "a", [Self.option(66, [0x61])]),
            .init(.clientClass, className: "b", [Self.option(66, [0x62])]),
        ])
        #expect(classes.map(\.className) == ["a"])
    }

    @Test func theRequestListPicksWhatIsSentAndAlwaysSendAddsTheRest() {
        let winners = DHCPOptionResolver.winners([.init(.global, [
            Self.option(42, [1, 1, 1, 1]), Self.option(26, [5, 220], always: true), Self.option(66, [0x67]),
        ])])
        let sent = DHCPOptionResolver.toSend(winners, requested: [DHCPOptionCode(66), DHCPOptionCode(1), DHCPOptionCode(42)])
        #expect(sent.map(\.option.code.rawValue) == [66, 42, 26])
        #expect(DHCPOptionResolver.toSend(winners, requested: nil).map(\.option.code.rawValue) == [26])
        #expect(DHCPOptionResolver.toSend(winners, requested: []).map(\.option.code.rawValue) == [26])
    }
}
