extension RequestTarget {
    /// `target` as the access log writes it with query redaction on: the path as sent, every
    /// query value replaced by `***` (`/boot/ipxe?mac=***&token=***`), and a query item
    /// without `=` (which may itself be a token, `/f?s3cr3t`) replaced whole. Names stay, so the
    /// log still says which parameters a client sent; secrets in URLs (tokens, signatures) do not
    /// reach the log, as nginx setups do with a `map` on `$request_uri`.
    public static func redactingQueryValues(_ target: String) -> String {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        let query = target[target.index(after: mark)...]
        guard !query.isEmpty else { return target }
        var out = String(target[...mark])
        var first = true
        for item in query.split(separator: "&", omittingEmptySubsequences: false) {
            if !first { out += "&" }
            first = false
            if let equals = item.firstIndex(of: "=") {
                out += item[...equals]
                if item.index(after: equals) != item.endIndex { out += "***" }
            } else if !item.isEmpty {
                out += "***"
            }
        }
        return out
    }
}
