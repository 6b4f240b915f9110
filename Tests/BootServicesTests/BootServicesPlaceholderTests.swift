import Testing
@testable import BootServices

@Test func BootServicesBuilds() { #expect(Bool(true)) }
