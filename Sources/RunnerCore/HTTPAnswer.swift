/// An HTTP/1.1 answer as netboot-runner's bridge connection reads it (every request says
/// `Connection: close`, so the bytes up to the close are the whole answer): the status and the
/// body, framed by `Content-Length`, by chunked transfer coding, or by the close. Pure; nil
/// for bytes that are not an HTTP answer (the caller treats it as no answer and retries).
public struct HTTPAnswer: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    public static func parse(_ bytes: [UInt8]) -> HTTPAnswer? {
        guard let end = find([13, 10, 13, 10], in: bytes, from: 0) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        var body = Array(bytes[(end + 4)...])
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]),
              (100...599).contains(status) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingSpaces
        }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var decoded: [UInt8] = []
            var offset = 0
            while let lineEnd = find([13, 10], in: body, from: offset) {
                let sizeText = String(decoding: body[offset..<lineEnd], as: UTF8.self)
                guard let size = Int(sizeText.split(separator: ";").first.map(String.init)?.trimmingSpaces ?? "", radix: 16), size >= 0 else {
                    return nil
                }
                if size == 0 { return HTTPAnswer(status: status, body: decoded) }
                let start = lineEnd + 2
                guard body.count - start >= size else { return nil }
                decoded += body[start..<(start + size)]
                offset = start + size + 2
                guard offset <= body.count else { return nil }
            }
            return nil
        }
        if let text = headers["content-length"] {
            guard let length = Int(text), length >= 0, length <= body.count else { return nil }
            body = Array(body.prefix(length))
        }
        return HTTPAnswer(status: status, body: body)
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0], Array(bytes[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
