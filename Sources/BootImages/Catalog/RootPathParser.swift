import NetbootWire

/// Parses an indirect `RootPath` as Apple's `parse_nfs_path` / `parse_http_path` do
/// (bootp `nbimages.c`; reference `bsdp-protocol-and-servers.md` §1.7, §1.11):
/// NFS `<host>:<mount>[:<image>]` with `\:` escaping a literal colon, HTTP
/// `http://[user:password@]<host>[:port]/<path>`. The host is resolved to an address, since
/// xnu accepts only an IP literal in option 17.
enum RootPathParser {
    static func parse(_ text: String, type: ImageType, resolver: any HostResolving) -> Result<RootPath, ImageProblem.Reason> {
        switch type {
        case .nfs: return nfs(text, resolver: resolver)
        case .http: return http(text, resolver: resolver)
        case .classic, .bootFileOnly: return .failure(.rootPathNotFound(text))
        }
    }

    static func nfs(_ text: String, resolver: any HostResolving) -> Result<RootPath, ImageProblem.Reason> {
        let characters = Array(text)
        guard let colon = characters.firstIndex(of: ":") else { return .failure(.rootPathNotFound(text)) }
        let host = String(characters[..<colon])
        let rest = Array(characters[(colon + 1)...])
        var split: Int?
        var position = 0
        while position < rest.count {
            if rest[position] == ":", position == 0 || rest[position - 1] != "\\" {
                split = position
                break
            }
            position += 1
        }
        let mount = String(split.map { rest[..<$0] } ?? rest[...])
        let image = split.map { String(rest[($0 + 1)...]) }
        guard !host.isEmpty, !mount.isEmpty, image.map({ !$0.isEmpty }) ?? true else {
            return .failure(.rootPathNotFound(text))
        }
        guard let address = resolver.resolve(host) else { return .failure(.hostUnresolved(key: "RootPath", host: host)) }
        return .success(.nfs(host: address, mount: mount, image: image))
    }

    static func http(_ text: String, resolver: any HostResolving) -> Result<RootPath, ImageProblem.Reason> {
        let prefix = "http://"
        guard text.hasPrefix(prefix) else { return .failure(.rootPathNotFound(text)) }
        let afterScheme = text.dropFirst(prefix.count)
        guard let slash = afterScheme.firstIndex(of: "/") else { return .failure(.rootPathNotFound(text)) }
        var authority = afterScheme[..<slash]
        let path = String(afterScheme[afterScheme.index(after: slash)...])
        var user: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            // Apple needs both user and password.
            guard let colon = credentials.firstIndex(of: ":") else { return .failure(.rootPathNotFound(text)) }
            user = String(credentials[..<colon])
            password = String(credentials[credentials.index(after: colon)...])
            authority = authority[authority.index(after: at)...]
        }
        var host = authority
        var port: UInt16?
        if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            guard let number = UInt16(authority[authority.index(after: colon)...]), number > 0 else {
                return .failure(.rootPathNotFound(text))
            }
            port = number
        }
        guard !host.isEmpty, !path.isEmpty else { return .failure(.rootPathNotFound(text)) }
        guard let address = resolver.resolve(String(host)) else {
            return .failure(.hostUnresolved(key: "RootPath", host: String(host)))
        }
        return .success(.http(host: address, port: port, user: user, password: password, path: path))
    }
}
