import Testing
@testable import NetbootConfig

@Test func NetbootConfigBuilds() { #expect(Bool(true)) }
