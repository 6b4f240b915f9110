import Foundation
import Testing
@testable import NetbootConfig

/// `store:` — sqlite (default) or a PostgreSQL mapping, every error at `file:line:col`.
@Suite struct StoreSectionTests {
    @Test func sqliteIsTheDefault() {
        #expect(NetbootConfiguration.defaults.store == .sqlite)
        let result = NetbootConfiguration.parse("store: sqlite\n", file: "t.yaml")
        #expect(result.diagnostics.isEmpty)
        #expect(result.configuration.store == .sqlite)
    }

    @Test func aPostgresMappingIsReadWithItsDefaults() throws {
        let result = NetbootConfiguration.parse("""
            store:
              postgresql: "postgresql://netboot@db.lab:5433/leases"
              pool: 8
              password-env: NETBOOT_DB_PASSWORD
              tls: require
            """, file: "t.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        guard case .postgresql(let settings) = result.configuration.store else {
            Issue.record("expected postgresql, got \(result.configuration.store)")
            return
        }
        #expect(settings.url == PostgresURL(user: "netboot", host: "db.lab", port: 5433, database: "leases"))
        #expect(settings.pool == 8)
        #expect(settings.passwordEnv == "NETBOOT_DB_PASSWORD")
        #expect(settings.passwordFile == nil)
        #expect(settings.tls == .require)
        #expect(settings.maxClockSkew == 30)
        #expect(settings.connectTimeout == 5)
    }

    @Test func aUnixSocketDirectoryIsLibpqsHostParameter() throws {
        let url = try PostgresURL.parse("postgresql://netboot@/netboot?host=/run/postgresql").get()
        #expect(url.socketPath == "/run/postgresql/.s.PGSQL.5432")
        #expect(url.description == "postgresql://netboot@/netboot?host=/run/postgresql&port=5432")
        #expect(try PostgresURL.parse("postgres://u@h/d").get().port == 5432)
    }

    @Test func badValuesAreLocated() {
        #expect(lines("store: mysql\n") == [
            "t.yaml:1:8: error: store: expected sqlite or a mapping with a postgresql: URL, found 'mysql' [invalid-value]",
        ])
        #expect(lines("store:\n  postgresql: \"postgresql://u:secret@h/d\"\n") == [
            "t.yaml:2:15: error: store.postgresql: the URL holds a password; put it in password-file or password-env instead [invalid-value]",
        ])
        #expect(lines("store:\n  pool: 4\n") == ["t.yaml:2:3: error: store: missing required key 'postgresql' [missing-key]"])
        #expect(lines("store:\n  postgresql: postgresql://u@h/d\n  pool: 0\n  tls: requir\n  pasword-file: /x\n").count == 3)
        #expect(lines("store:\n  postgresql: postgresql://u@h/d\n  password-file: /a\n  password-env: B\n") == [
            "t.yaml:4:17: error: store: password-file and password-env are both set; keep one [conflict]",
        ])
        #expect(lines("store:\n  postgresql: postgresql://u@/d?host=/run/pg\n  tls: require\n") == [
            "t.yaml:3:8: error: store.tls: require needs a TCP host, not a Unix socket [conflict]",
        ])
        for bad in ["http://u@h/d", "postgresql://h/d", "postgresql://u@h/", "postgresql://u@/d", "postgresql://u@h/d?sslmode=x"] {
            #expect(PostgresURL.parse(bad).isFailure, "\(bad)")
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

@Suite struct StorePasswordMaskingTests {
    /// A password written into the URL is refused, and the source line printed under the error
    /// shows it masked.
    @Test func theRenderedSourceLineHidesThePassword() {
        let result = NetbootConfiguration.parse("store:\n  postgresql: \"postgresql://u:hunter2@h/d\"\n", file: "t.yaml")
        let rendered = result.rendered.joined(separator: "\n")
        #expect(rendered.contains("t.yaml:2:15: error: store.postgresql: the URL holds a password"))
        #expect(!rendered.contains("hunter2"))
        #expect(rendered.contains("postgresql://u:******@h/d"))
        #expect(PostgresURL.maskingPasswords("a: postgres://x:y@z/w b") == "a: postgres://x:******@z/w b")
        #expect(PostgresURL.maskingPasswords("postgresql://u@h/d") == "postgresql://u@h/d")
    }
}
