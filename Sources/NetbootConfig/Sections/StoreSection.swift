import Foundation
import LocatedYAML
import Yams

/// `store:` — where leases and BSDP selections live (docs/store.md): `sqlite` (the default,
/// `state-dir/netboot.sqlite`, no setup) or a PostgreSQL database shared by several appliances:
///
/// ```yaml
/// store:
///   postgresql: "postgresql://netboot@db.example/netboot"
///   pool: 4
///   password-file: /etc/netboot/db-password
/// ```
extension NetbootConfiguration {
    public enum Store: Sendable, Equatable {
        case sqlite
        case postgresql(PostgreSQL)

        /// True when several appliances may share it (PostgreSQL).
        public var isShared: Bool {
            if case .postgresql = self { return true }
            return false
        }
    }

    /// The PostgreSQL backend's settings. No password is ever in the configuration itself:
    /// it comes from `password-file` or the environment variable `password-env` names.
    public struct PostgreSQL: Sendable, Equatable {
        public var url: PostgresURL
        /// The most connections this appliance opens (the pool's bound; every appliance counts
        /// against the server's `max_connections`).
        public var pool: Int = 4
        public var passwordFile: String?
        public var passwordEnv: String?
        /// TLS to the database: `disable`, `prefer` or `require` (libpq's `sslmode` words).
        public var tls: TLSMode = .disable
        /// The most seconds this appliance's clock may differ from the database's before it
        /// refuses to lease (Kea's HA uses 60).
        public var maxClockSkew: Int = 30
        /// Seconds to wait for a connection to the database.
        public var connectTimeout: Int = 5
        /// Seconds between two reads of the shared BSDP selections (a selection made through
        /// another appliance is honoured here at most this long after it was made).
        public var bindingRefresh: Int = 2

        public enum TLSMode: String, Sendable, CaseIterable {
            case disable, prefer, require
        }

        public init(url: PostgresURL) { self.url = url }
    }

    static func readStore(_ r: MappingReader, default value: Store) -> Store {
        guard let node = r.node("store") else { return value }
        if case .scalar = node {
            guard let word = Scalars.string(node, "store", r.log) else { return value }
            if word == "sqlite" { return .sqlite }
            r.log.error("store: expected sqlite or a mapping with a postgresql: URL, found '\(word)'", at: node.mark,
                        rule: .invalidValue)
            return value
        }
        let reader = MappingReader(node, path: "store", log: r.log)
        defer { reader.finish() }
        return PostgreSQL.read(reader).map(Store.postgresql) ?? value
    }
}

extension NetbootConfiguration.PostgreSQL {
    static func read(_ r: MappingReader) -> Self? {
        let urlNode = r.node("postgresql")
        var url: PostgresURL?
        if let urlNode, let text = Scalars.string(urlNode, "store.postgresql", r.log) {
            switch PostgresURL.parse(text) {
            case .success(let parsed): url = parsed
            case .failure(let problem):
                r.log.error("store.postgresql: \(problem)", at: urlNode.mark, rule: .invalidValue)
            }
        } else if urlNode == nil {
            _ = r.require(nil as String?, "postgresql")
        }
        let d = Self(url: PostgresURL(user: "netboot", host: "localhost", port: 5432, database: "netboot"))
        var s = Self(url: url ?? d.url)
        s.pool = r.int("pool", default: d.pool, in: 1...100)
        s.passwordFile = r.optionalPath("password-file")
        s.passwordEnv = r.optionalString("password-env")
        if let name = s.passwordEnv, name.isEmpty || name.contains("=") || name.contains("\u{0}") {
            r.log.error("store.password-env: '\(name)' is not an environment variable name", at: r.mark(of: "password-env"),
                        rule: .invalidValue)
            s.passwordEnv = nil
        }
        if s.passwordFile != nil, s.passwordEnv != nil {
            r.log.error("store: password-file and password-env are both set; keep one", at: r.mark(of: "password-env"),
                        rule: .conflict)
        }
        s.tls = r.word("tls", default: d.tls)
        if s.tls != .disable, url?.socketDirectory != nil {
            r.log.error("store.tls: \(s.tls.rawValue) needs a TCP host, not a Unix socket", at: r.mark(of: "tls"), rule: .conflict)
        }
        s.maxClockSkew = r.int("max-clock-skew", default: d.maxClockSkew, in: 1...3600)
        s.connectTimeout = r.int("connect-timeout", default: d.connectTimeout, in: 1...300)
        s.bindingRefresh = r.int("binding-refresh", default: d.bindingRefresh, in: 1...300)
        return url.map { _ in s }
    }
}

/// A PostgreSQL connection URL as libpq writes it, without a password:
/// `postgresql://user@host[:port]/database`, or a Unix socket directory as
/// `postgresql://user@/database?host=/run/postgresql` (libpq's form).
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    /// A host name or address (TCP), ignored when `socketDirectory` is set.
    public var host: String
    public var port: Int
    public var database: String
    /// The directory holding the server's socket `.s.PGSQL.<port>`.
    public var socketDirectory: String?

    public init(user: String, host: String, port: Int, database: String, socketDirectory: String? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.socketDirectory = socketDirectory
    }

    /// The socket file when connecting over a Unix socket.
    public var socketPath: String? {
        socketDirectory.map { ($0 as NSString).appendingPathComponent(".s.PGSQL.\(port)") }
    }

    /// The URL as written back (never holds a password): for logs and `netboot store check`.
    public var description: String {
        if let socketDirectory { return "postgresql://\(user)@/\(database)?host=\(socketDirectory)&port=\(port)" }
        return "postgresql://\(user)@\(host):\(port)/\(database)"
    }

    /// Parses `text`; the failure says what is wrong (a password in the URL is refused: the
    /// configuration file is not the place for a secret).
    public static func parse(_ text: String) -> Result<PostgresURL, URLProblem> {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgresql" || scheme == "postgres" else {
            return .failure(URLProblem("expected postgresql://user@host[:port]/database, found '\(text)'"))
        }
        if components.password != nil {
            return .failure(URLProblem("the URL holds a password; put it in password-file or password-env instead"))
        }
        guard let user = components.user, !user.isEmpty else {
            return .failure(URLProblem("the URL names no user (postgresql://USER@host/database)"))
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            return .failure(URLProblem("the URL names no database (postgresql://user@host/DATABASE)"))
        }
        var port = components.port ?? 5432
        var socketDirectory: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host":
                guard let value = item.value, value.hasPrefix("/") else {
                    return .failure(URLProblem("host= must be a Unix socket directory (an absolute path)"))
                }
                socketDirectory = value
            case "port":
                guard let value = item.value.flatMap(Int.init), (1...65535).contains(value) else {
                    return .failure(URLProblem("port= must be 1-65535"))
                }
                port = value
            default:
                return .failure(URLProblem("unknown URL parameter '\(item.name)' (known: host, port; TLS is the tls: key)"))
            }
        }
        guard (1...65535).contains(port) else { return .failure(URLProblem("port must be 1-65535")) }
        let host = components.host ?? ""
        if host.isEmpty && socketDirectory == nil {
            return .failure(URLProblem("the URL names no host (postgresql://user@HOST/database, or ?host=/socket/dir)"))
        }
        return .success(PostgresURL(user: user, host: host, port: port, database: database, socketDirectory: socketDirectory))
    }

    /// `text` with the password of every `postgresql://user:password@` in it replaced by
    /// `******`: the source lines printed under diagnostics never show one (such a URL is an
    /// error, and its error line must not leak what it refuses).
    public static func maskingPasswords(_ text: String) -> String {
        guard text.contains("postgres") else { return text }
        return text.replacing(#/(postgres(?:ql)?://[^:/@\s"']*):([^@\s"']*)@/#) { match in "\(match.1):******@" }
    }

    public struct URLProblem: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
