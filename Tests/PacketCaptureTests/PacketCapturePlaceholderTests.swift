import Testing
@testable import PacketCapture

@Test func PacketCaptureBuilds() { #expect(Bool(true)) }
