import Testing
@testable import LocatedYAML

@Suite struct LocatedYAMLTests {
    @Test func brokenYAMLBecomesALocatedDiagnostic() {
        let source = YAMLSource(text: "a: 1\nb: [1, 2\n", file: "x.yaml")
        #expect(source.root == nil)
        #expect(source.diagnostics.count == 1)
        #expect(source.diagnostics.first?.description.hasPrefix("x.yaml:") == true)
    }

    @Test func suggestionsFindTypos() {
        #expect(Suggestion.closest(to: "max-blksiz", among: ["max-blksize", "port", "root"]) == "max-blksize")
        #expect(Suggestion.closest(to: "xyz", among: ["max-blksize", "port"]) == nil)
    }

    @Test func renderedDiagnosticShowsCaret() {
        let d = Diagnostic(.error, at: SourceLocation(file: "f", line: 2, column: 3), "bad", rule: "r")
        #expect(d.rendered(source: "one\ntwo three\n") == "f:2:3: error: bad [r]\n  two three\n    ^")
    }
}
