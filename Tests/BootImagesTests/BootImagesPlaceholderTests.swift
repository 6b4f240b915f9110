import Testing
@testable import BootImages

@Test func BootImagesBuilds() { #expect(Bool(true)) }
