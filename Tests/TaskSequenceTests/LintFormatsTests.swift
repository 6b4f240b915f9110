import Foundation
import LocatedYAML
import Testing
@testable import TaskSequence

/// `ts lint --format github|sarif` (issue 20): escaping and structure.
@Suite struct LintFormatsTests {
    static let report = LintReport(file: "seq, 1.yaml", kind: .sequence, text: "", diagnostics: [
        Diagnostic(.warning, at: SourceLocation(file: "seq, 1.yaml", line: 4, column: 2), "100% sure:\nsecond line", rule: "style"),
        Diagnostic(.error, at: SourceLocation(file: "seq, 1.yaml", line: 2, column: 7), "'name' must be a string", rule: "wrong-type"),
        Diagnostic(.note, at: SourceLocation(file: "seq, 1.yaml", line: 9, column: 1), "no rule here"),
    ])

    @Test func githubCommandsEscapeDataAndProperties() {
        #expect(Linter.githubAnnotations([Self.report]).split(separator: "\n") == [
            "::error file=seq%2C 1.yaml,line=2,col=7,title=wrong-type::'name' must be a string",
            "::warning file=seq%2C 1.yaml,line=4,col=2,title=style::100%25 sure:%0Asecond line",
            "::notice file=seq%2C 1.yaml,line=9,col=1::no rule here",
        ])
        #expect(Linter.githubAnnotations([]) == "")
    }

    @Test func sarifHasOneResultPerDiagnosticAndIndexedRules() throws {
        let text = Linter.sarif([Self.report], toolVersion: "9.9")
        let log = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["version"] as? String == "9.9")
        #expect((driver["rules"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["wrong-type", "style"])
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.map { $0["level"] as? String } == ["error", "warning", "note"])
        #expect(results.map { $0["ruleIndex"] as? Int } == [0, 1, nil])
        let location = try #require((results[0]["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        #expect((location["artifactLocation"] as? [String: Any])?["uri"] as? String == "seq,%201.yaml")
        #expect((location["region"] as? [String: Any])?["startLine"] as? Int == 2)
        #expect(Linter.sarifURI("/srv/a b.yaml") == "file:///srv/a%20b.yaml")
    }
}
