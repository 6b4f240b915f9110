import ControlProtocol
import Testing

@Suite struct ControlLineFramerTests {
    @Test func linesSplitAtNewlinesAcrossFeeds() {
        var framer = ControlLineFramer(limit: 64)
        #expect(framer.feed(Array("ab".utf8)) == [])
        #expect(framer.feed(Array("c\r\nde\n\nf".utf8)) == [.line(Array("abc".utf8)), .line(Array("de".utf8)), .line([])])
        #expect(framer.pendingCount == 1)
    }

    @Test func byteByByteGivesTheSameLines() {
        let text = Array(#"{"version":1,"command":"status"}"# .utf8) + [10] + Array("junk\r\n".utf8)
        var whole = ControlLineFramer()
        let expected = whole.feed(text)
        var drip = ControlLineFramer()
        var got: [ControlLineFramer.Frame] = []
        for byte in text { got += drip.feed([byte]) }
        #expect(got == expected)
        #expect(got.count == 2)
    }

    @Test func aLineAtTheLimitPassesOneOverOverflows() {
        var framer = ControlLineFramer(limit: 8)
        #expect(framer.feed(Array("12345678\n".utf8)) == [.line(Array("12345678".utf8))])
        #expect(framer.feed(Array("12345678\r\n".utf8)) == [.line(Array("12345678".utf8))])
        var over = ControlLineFramer(limit: 8)
        #expect(over.feed(Array("1234567890".utf8)) == [.overflow])
        #expect(over.feed(Array("\n{}\n".utf8)) == [], "nothing after an overflow")
    }

    @Test func anEndlessLineHoldsAtMostTheLimit() {
        var framer = ControlLineFramer(limit: 1024)
        var frames: [ControlLineFramer.Frame] = []
        for _ in 0 ..< 100 { frames += framer.feed([UInt8](repeating: 0x41, count: 1000)) }
        #expect(frames == [.overflow])
        #expect(framer.pendingCount == 0)
    }
}
