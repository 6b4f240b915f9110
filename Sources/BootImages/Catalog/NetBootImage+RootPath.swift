import Foundation
import NetbootWire

extension NetBootImage {
    /// The server address a client should use for this image: `LoadBalanceServer` when set,
    /// else the answering interface's address (`siaddr`, reference §1.10).
    public func serverAddress(answeringFrom interface: IPv4Address) -> IPv4Address {
        loadBalanceServer ?? interface
    }

    /// Option 17 (root path) for ACK[SELECT] and OFFER* (reference §1.7): an indirect path as
    /// written (host already resolved), or for a file in the folder
    /// `http://<server><httpBasePath>/<folder>/<file>` with folder and file percent-escaped
    /// (Apple escapes both), or `nfs:<server>:<nfsExportPath>:<folder>/<file>`. Nil for
    /// `BootFileOnly`. `httpBasePath` is the URL path under which the images directory is served
    /// (empty or starting with `/`); the host is `serverAddress(answeringFrom:)`.
    public func rootPathOption(server: IPv4Address, httpBasePath: String, nfsExportPath: String) -> String? {
        guard let rootPath else { return nil }
        if let indirect = rootPath.indirectOptionText { return indirect }
        guard case let .local(file) = rootPath else { return nil }
        let host = serverAddress(answeringFrom: server)
        switch type {
        case .http:
            let base = httpBasePath.hasSuffix("/") ? String(httpBasePath.dropLast()) : httpBasePath
            return "http://\(host)\(base)/\(Self.escapePath(folder))/\(Self.escapePath(file))"
        case .nfs:
            let export = nfsExportPath.replacingOccurrences(of: ":", with: "\\:")
            return "nfs:\(host):\(export):\(folder)/\(file)"
        case .classic, .bootFileOnly:
            return nil
        }
    }

    /// Percent-escapes each segment of a relative path (RFC 3986 unreserved characters kept).
    static func escapePath(_ path: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0) }
            .joined(separator: "/")
    }
}
