import Foundation
import LocatedYAML

/// `ts lint --format github|sarif` (issue 20): the lint diagnostics for CI.
///
/// - `github`: GitHub Actions workflow commands, one per diagnostic —
///   `::error file=F,line=L,col=C,title=RULE::MESSAGE` (docs.github.com, "Workflow commands for
///   GitHub Actions": `%`, CR and LF escaped in the message; also `:` and `,` in properties).
/// - `sarif`: one SARIF 2.1.0 log (OASIS SARIF v2.1.0 errata 01): a run whose driver lists the
///   rules seen, and one result per diagnostic with its level, message and region.
extension Linter {
    /// One workflow command per diagnostic, in file order.
    public static func githubAnnotations(_ reports: [LintReport]) -> String {
        reports.flatMap(\.diagnostics).sorted { $0.location < $1.location }.map { diagnostic in
            let command = switch diagnostic.severity {
            case .error: "error"
            case .warning: "warning"
            case .note: "notice"
            }
            var properties = [("file", diagnostic.location.file), ("line", String(diagnostic.location.line)),
                              ("col", String(diagnostic.location.column))]
            if let rule = diagnostic.ruleID { properties.append(("title", rule)) }
            let list = properties.map { "\($0.0)=\(githubProperty($0.1))" }.joined(separator: ",")
            return "::\(command) \(list)::\(githubData(diagnostic.message))"
        }.joined(separator: "\n")
    }

    static func githubData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    static func githubProperty(_ text: String) -> String {
        githubData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// A SARIF 2.1.0 log of every diagnostic, as pretty-printed JSON.
    public static func sarif(_ reports: [LintReport], toolVersion: String) -> String {
        struct Message: Encodable { var text: String }
        struct Rule: Encodable { var id: String; var shortDescription: Message }
        struct Driver: Encodable {
            var name: String
            var version: String
            var rules: [Rule]
        }
        struct Tool: Encodable { var driver: Driver }
        struct Region: Encodable { var startLine: Int; var startColumn: Int }
        struct ArtifactLocation: Encodable { var uri: String }
        struct PhysicalLocation: Encodable { var artifactLocation: ArtifactLocation; var region: Region }
        struct Location: Encodable { var physicalLocation: PhysicalLocation }
        struct Result: Encodable {
            var ruleId: String?
            var ruleIndex: Int?
            var level: String
            var message: Message
            var locations: [Location]
        }
        struct Run: Encodable { var tool: Tool; var results: [Result] }
        struct Log: Encodable {
            var schema = "https://json.schemastore.org/sarif-2.1.0.json"
            var version = "2.1.0"
            var runs: [Run]
            enum CodingKeys: String, CodingKey {
                case schema = "$schema"
                case version, runs
            }
        }
        let diagnostics = reports.flatMap(\.diagnostics).sorted { $0.location < $1.location }
        var ruleIDs: [String] = []
        for rule in diagnostics.compactMap(\.ruleID) where !ruleIDs.contains(rule) { ruleIDs.append(rule) }
        let results = diagnostics.map { diagnostic in
            Result(ruleId: diagnostic.ruleID, ruleIndex: diagnostic.ruleID.flatMap { ruleIDs.firstIndex(of: $0) },
                   level: diagnostic.severity.rawValue, message: Message(text: diagnostic.message),
                   locations: [Location(physicalLocation: PhysicalLocation(
                       artifactLocation: ArtifactLocation(uri: sarifURI(diagnostic.location.file)),
                       region: Region(startLine: max(1, diagnostic.location.line), startColumn: max(1, diagnostic.location.column))))])
        }
        let log = Log(runs: [Run(tool: Tool(driver: Driver(
            name: "netboot ts lint", version: toolVersion,
            rules: ruleIDs.map { Rule(id: $0, shortDescription: Message(text: "netboot ts lint rule \($0)")) })),
                                 results: results)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(log) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A file path as a URI reference: relative paths stay relative (to the checkout, as code
    /// scanning expects), characters outside RFC 3986 path characters are percent-encoded.
    static func sarifURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }
}
