import Testing

@testable import BootServices

@Suite struct ByteRangeTests {
    typealias R = ClosedRange<UInt64>

    static let resolveCases: [(header: String, size: UInt64, expected: ByteRangeResolution?)] = [
        ("bytes=0-9", 100, .ranges([0...9])),
        ("bytes=10-", 100, .ranges([10...99])),
        ("bytes=-10", 100, .ranges([90...99])),
        ("bytes=-1000", 100, .ranges([0...99])),
        ("bytes=50-5000", 100, .ranges([50...99])),
        ("bytes=99-99", 100, .ranges([99...99])),
        ("bytes=100-", 100, .unsatisfiable),
        ("bytes=999999999999-", 100, .unsatisfiable),
        ("bytes=-0", 100, .unsatisfiable),
        ("bytes=0-0", 0, .unsatisfiable),
        ("BYTES=0-1", 100, .ranges([0...1])),
        ("bytes= 0-1 , 500-600", 1000, .ranges([0...1, 500...600])),
        ("bytes=0-1,200-300", 100, .ranges([0...1])),
        // Past 4 GiB, 64-bit all the way.
        ("bytes=4294967296-4294967395", 5_368_709_120, .ranges([4_294_967_296...4_294_967_395])),
        ("bytes=-100", 5_368_709_120, .ranges([5_368_709_020...5_368_709_119])),
        // Coalescing: overlapping, adjacent, small gaps, any order.
        ("bytes=0-9,5-20", 100, .ranges([0...20])),
        ("bytes=500-509,0-9", 1000, .ranges([0...9, 500...509])),
        ("bytes=50-59,0-9", 1000, .ranges([0...59])),  // a gap under the part overhead
        ("bytes=0-9,10-19", 1000, .ranges([0...19])),
        ("bytes=0-9,30-39", 1000, .ranges([0...39])),
        ("bytes=0-9,500-509", 1000, .ranges([0...9, 500...509])),
        ("bytes=0-,5-0", 100, nil),  // last < first: invalid spec, the field is ignored
        // Invalid syntax → nil (the field is ignored and the full file served).
        ("bytes=", 100, nil), ("bytes=abc", 100, nil), ("items=0-1", 100, nil), ("bytes=1-2-3", 100, nil),
        ("bytes=-", 100, nil), ("bytes=99999999999999999999-", 100, nil), ("bytes 0-1", 100, nil),
    ]

    @Test(arguments: resolveCases)
    func resolves(_ testCase: (header: String, size: UInt64, expected: ByteRangeResolution?)) {
        let request = ByteRangeRequest(Substring(testCase.header))
        #expect(request?.resolve(size: testCase.size) == testCase.expected, "\(testCase.header)")
    }

    @Test func thousandsOfOverlappingRangesCoalesceToOne() {
        let header = "bytes=" + (0..<5000).map { "\($0)-\($0 + 1000)" }.joined(separator: ",")
        // More specs than the cap: the whole field is ignored.
        #expect(ByteRangeRequest(Substring(header)) == nil)
        let under = "bytes=" + (0..<1000).map { "\($0)-\($0 + 1000)" }.joined(separator: ",")
        #expect(ByteRangeRequest(Substring(under))?.resolve(size: 1 << 20) == .ranges([0...1999]))
    }
}
