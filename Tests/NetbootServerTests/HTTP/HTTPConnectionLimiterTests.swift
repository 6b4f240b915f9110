import Testing

@testable import NetbootServer

/// Connection caps: in all, and per client address.
@Suite struct HTTPConnectionLimiterTests {
    @Test func oneAddressHoldsAtMostItsShareAndOthersAreStillAdmitted() {
        let limiter = HTTPConnectionLimiter(max: 10, maxPerClient: 3)
        for _ in 0..<3 { #expect(limiter.admit(client: "198.51.100.2") == .admitted) }
        #expect(limiter.admit(client: "198.51.100.2") == .refused(.client))
        #expect(limiter.admit(client: "198.51.100.3") == .admitted)
        #expect(limiter.current == 4 && limiter.current(client: "198.51.100.2") == 3)
        limiter.release(client: "198.51.100.2")
        #expect(limiter.admit(client: "198.51.100.2") == .admitted)
    }

    @Test func theTotalCapComesFirst() {
        let limiter = HTTPConnectionLimiter(max: 2, maxPerClient: 5)
        #expect(limiter.admit(client: "a") == .admitted)
        #expect(limiter.admit(client: "b") == .admitted)
        #expect(limiter.admit(client: "c") == .refused(.total))
        limiter.release(client: "a")
        limiter.release(client: "b")
        #expect(limiter.current == 0 && limiter.current(client: "a") == 0)
    }
}
