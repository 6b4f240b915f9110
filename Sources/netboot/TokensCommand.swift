import ArgumentParser
import BridgeCore
import Foundation
import NetbootStore
import ProxyBridge

/// `netboot tokens issue|list|revoke`: the bridge's bearer tokens, written straight into
/// `state-dir/bridge.sqlite` or the PostgreSQL store `store:` names (docs/bridge.md, "Tokens").
/// This is how the first Administrator token is made; each change is written to the audit log
/// with actor `cli`.
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Issue, list and revoke the proxy bridge's tokens.",
        discussion: HelpText.discussion(
            examples: [("netboot tokens issue --role enrollment --ttl 1h", "a one-time enrollment token, printed once"),
                       ("netboot tokens list", "every token's id, role and state (never the token)")],
            exitCodes: [(0, "done"), (1, "\(HelpText.configurationError), or the bridge's records (bridge.sqlite, or the PostgreSQL store) cannot be read"), (2, "an unknown role")]),
        subcommands: [TokensIssueCommand.self, TokensListCommand.self, TokensRevokeCommand.self]
    )
}

struct TokensIssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a token and print it once (only its SHA-256 is kept).",
        discussion: HelpText.discussion(
            examples: [("netboot tokens issue --role administrator --label alice", "a console token for an administrator"),
                       ("netboot tokens issue --role enrollment --ttl 30m --json", "an enrollment token as JSON (id, role, expiry, token)")],
            exitCodes: [(0, "issued"), (1, "\(HelpText.configurationError), or the bridge's records (bridge.sqlite, or the PostgreSQL store) cannot be read"), (2, "an unknown role")])
    )

    @Option(help: "administrator, enrollers, problem-monitor-users, key-administrators or enrollment.")
    var role: String

    @Option(help: "Lifetime: seconds, or a number with s, m, h or d (default: no expiry; enrollment tokens: 1d).")
    var ttl: String?

    @Option(help: "A note shown in lists.")
    var label = ""

    @Flag(help: "Print JSON (id, role, token, expiry).")
    var json = false

    @OptionGroup var state: BridgeStateOption

    func validate() throws {
        guard let parsed = BridgeRole(rawValue: role), parsed != .client else {
            throw ValidationError("--role must be one of \(BridgeRole.allCases.filter { $0 != .client }.map(\.rawValue).joined(separator: ", "))")
        }
        if let ttl, TTL.seconds(ttl) == nil { throw ValidationError("--ttl \(ttl): expected seconds or a number with s, m, h or d (at most 366d)") }
        guard label.count <= 128 else { throw ValidationError("--label is longer than 128 characters") }
    }

    func run() throws {
        guard let role = BridgeRole(rawValue: role) else { throw ExitCode(2) }
        let seconds = ttl.flatMap(TTL.seconds) ?? (role == .enrollment ? 86400 : nil)
        guard let store = try state.records(write: true) else { throw ExitCode(1) }
        let now = Date()
        let (token, record) = try store.issueToken(role: role, label: label, ttl: seconds.map(TimeInterval.init), now: now)
        try store.appendAudit(AuditEntry(at: now, actor: "cli", role: "cli", action: "token.issue",
                                         target: "\(role.rawValue) \(record.id)", outcome: "allowed"))
        if json {
            var listing = TokenListing(record: record, now: now)
            listing.token = token.text
            print(try CLIJSON.string(listing))
        } else {
            print(token.text)
            FileHandle.standardError.write(Data("netboot: token \(record.id) (\(role.rawValue)\(record.expiresAt.map { ", expires \($0.formatted(.iso8601))" } ?? "")) — shown once, keep it now\n".utf8))
        }
    }
}

struct TokensListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List tokens: id, role, state, label, expiry (never the token).",
        discussion: HelpText.discussion(
            examples: [("netboot tokens list --json", "as JSON"), ("netboot tokens list --config lab.yaml", "the tokens of another configuration's state-dir")],
            exitCodes: [(0, "listed (also when there are none)"), (1, "\(HelpText.configurationError), or the bridge's records (bridge.sqlite, or the PostgreSQL store) cannot be read")]))

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var state: BridgeStateOption

    func run() throws {
        let now = Date()
        let tokens = try state.records(write: false)?.tokens().map { TokenListing(record: $0, now: now) } ?? []
        if json {
            print(try CLIJSON.string(["tokens": tokens]))
        } else {
            print(CLITable.render(["ID", "ROLE", "STATE", "EXPIRES", "DEVICE", "LABEL"], tokens.map {
                [$0.id, $0.role, $0.state, $0.expiresAt?.formatted(.iso8601) ?? "-", $0.deviceMAC ?? "-", $0.label.isEmpty ? "-" : $0.label]
            }))
        }
    }
}

struct TokensRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a token by its id (from `tokens list`).",
        discussion: HelpText.discussion(
            examples: [("netboot tokens revoke 3f2a9c01b7de", "the token with that id is refused from now on (401)")],
            exitCodes: [(0, "revoked"), (1, "\(HelpText.configurationError), or the bridge's records (bridge.sqlite, or the PostgreSQL store) cannot be read"), (64, "no token with that id")]))

    @Argument(help: "The token's id: 12 hex digits.") var id: String
    @OptionGroup var state: BridgeStateOption

    func run() throws {
        guard let store = try state.records(write: true) else { throw ExitCode(1) }
        let now = Date()
        guard let record = try store.revokeToken(id: id, now: now) else {
            throw ValidationError("no token with id \(id)")
        }
        try store.appendAudit(AuditEntry(at: now, actor: "cli", role: "cli", action: "token.revoke", target: record.id, outcome: "allowed"))
        print("revoked \(record.id) (\(record.role.rawValue))")
    }
}

/// `--ttl` values: `3600`, `90s`, `30m`, `12h`, `7d`; at most 366 days.
enum TTL {
    static func seconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = text.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int64(digits), number > 0,
              number <= TokenIssueRequest.maxTTL / unit else { return nil }
        return number * unit
    }
}

/// The bridge store for a read-only command; nil (with a note) when it does not exist yet.
enum BridgeStoreFile {
    static func open(_ stateDir: String) throws -> BridgeStore? {
        let path = (stateDir as NSString).appendingPathComponent(BridgeStore.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("netboot: no bridge database at \(path) yet\n".utf8))
            return nil
        }
        do {
            return try BridgeStore(path: path, readOnly: true)
        } catch {
            throw ValidationError("cannot read \(path): \(error)")
        }
    }
}

enum CLIJSON {
    static func string(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

enum CLITable {
    /// Like `LeaseRow.printable`, but a plain space stays a space (labels are sentences).
    static func printable(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { LeaseRow.printable(String($0)) }.joined(separator: " ")
    }

    /// Columns padded to their widest cell; cells made terminal-safe (client-chosen names).
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let cells = [header] + rows.map { $0.map(printable) }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { line in
            line.enumerated().map { column, cell in
                column == line.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
