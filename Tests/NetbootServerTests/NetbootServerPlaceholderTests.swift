import Testing
@testable import NetbootServer

@Test func NetbootServerBuilds() { #expect(Bool(true)) }
