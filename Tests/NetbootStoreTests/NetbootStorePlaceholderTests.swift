import Testing
@testable import NetbootStore

@Test func NetbootStoreBuilds() { #expect(Bool(true)) }
