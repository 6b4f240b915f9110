import Testing

@testable import BootServices

@Suite struct HTTPDateTests {
    static let formatCases: [(Int64, String)] = [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_795_000_000, "Wed, 18 Nov 2026 11:06:40 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ]

    @Test(arguments: formatCases)
    func formats(_ testCase: (Int64, String)) {
        #expect(HTTPDate.format(secondsSinceEpoch: testCase.0) == testCase.1)
        #expect(HTTPDate.parse(Substring(testCase.1)) == testCase.0)
    }

    static let parseCases: [(String, Int64?)] = [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("Sun, 06 Nov 1994 08:49:37 PST", nil),
        ("Sun, 06 Foo 1994 08:49:37 GMT", nil),
        ("Sun, 06 Nov 1994 25:49:37 GMT", nil),
        ("Sun, 06 Nov 1994 08:49 GMT", nil),
        ("\"abc\"", nil),
        ("", nil),
    ]

    @Test(arguments: parseCases)
    func parses(_ testCase: (String, Int64?)) {
        #expect(HTTPDate.parse(Substring(testCase.0)) == testCase.1)
    }
}
