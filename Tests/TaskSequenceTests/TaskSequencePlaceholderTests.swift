import Testing
@testable import TaskSequence

@Test func TaskSequenceBuilds() { #expect(Bool(true)) }
