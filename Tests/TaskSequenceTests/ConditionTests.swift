import Testing
@testable import TaskSequence
