import Foundation
import Testing
@testable import TaskSequence

/// Golden tests: each Fixtures/lint/NAME.yaml is linted (no inventory) and its rendered
/// output compared with NAME.expected. Regenerate with `UPDATE_GOLDEN=1 swift test`.
@Suite struct LintGoldenTests {
    static let sourceFolder = repositoryRoot.appendingPathComponent("Tests/TaskSequenceTests/Fixtures/lint")

    static var fixtures: [String] {
        guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appendingPathComponent("lint"),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func thereIsACorpus() {
        #expect(Self.fixtures.count >= 20)
    }

    @Test(arguments: fixtures)
    func lintOutputMatchesGolden(_ name: String) throws {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("lint")
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        let report = Linter.lint(data: data, file: name)
        let actual = report.diagnostics.isEmpty ? "" : report.rendered + "\n"
        let expectedName = String(name.dropLast(".yaml".count)) + ".expected"
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try actual.write(to: Self.sourceFolder.appendingPathComponent(expectedName), atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: folder.appendingPathComponent(expectedName), encoding: .utf8)
        #expect(actual == expected)
        // Every broken fixture reports at least one problem, each with a rule id.
        #expect(!report.diagnostics.isEmpty)
        #expect(report.diagnostics.allSatisfy { $0.ruleID != nil })
    }
}

@Suite struct LintBehaviourTests {
    @Test func examplesLintClean() throws {
        let folder = repositoryRoot.appendingPathComponent("etc/sequences")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 6)
        let inventoryData = try Data(contentsOf: repositoryRoot.appendingPathComponent("etc/inventory.yaml"))
        let inventoryReport = Linter.lint(data: inventoryData, file: "etc/inventory.yaml")
        #expect(inventoryReport.kind == .inventory)
        #expect(inventoryReport.diagnostics.isEmpty, "\(inventoryReport.rendered)")
        for name in names {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let report = Linter.lint(data: data, file: name, inventory: inventoryReport.inventory)
            #expect(report.diagnostics.isEmpty, "\(name):\n\(report.rendered)")
        }
    }

    @Test func tenThousandStepsIsADiagnosticNotACrash() {
        var yaml = "name: huge\nsteps:\n"
        for i in 0..<10_000 { yaml += "  - {type: installSoftware, id: s\(i), package: p}\n" }
        let report = lint(yaml)
        #expect(report.diagnostics.filter { $0.ruleID == "too-many-steps" }.count == 1)
        #expect(report.diagnostics.first { $0.ruleID == "too-many-steps" }?.location.line == 5_003)
    }

    @Test func fiveThousandStepsAreAllowed() {
        var yaml = "name: big\nsteps:\n"
        for i in 0..<5_000 { yaml += "  - {type: installSoftware, id: s\(i), package: p}\n" }
        #expect(lint(yaml).diagnostics.isEmpty)
    }

    @Test func hostileNestingIsRefusedBeforeParsing() {
        let deepFlow = "name: x\nsteps: " + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        #expect(lint(deepFlow).diagnostics.map(\.ruleID) == ["nesting-too-deep"])
        var deepBlock = "name: x\nsteps:\n"
        var indent = ""
        for _ in 0..<600 { deepBlock += indent + "- \n"; indent += "  " }
        #expect(lint(deepBlock).diagnostics.contains { $0.ruleID == "nesting-too-deep" })
        // Deeper than the YAML limit but under the pre-scan bound: reported after parsing.
        let medium = "name: x\nsteps: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(lint(medium).diagnostics.contains { $0.ruleID == "nesting-too-deep" })
    }

    @Test func aliasesAreExpandedWithinLimits() {
        let report = lint("""
        name: anchors
        steps:
          - &install {type: installSoftware, package: p}
          - *install
        """)
        #expect(!report.hasErrors, "\(report.rendered)")
        #expect(report.definition?.allSteps.count == 3)
    }

    @Test func everyProblemAtOnce() {
        let report = lint("""
        name: many
        stepz: []
        steps:
          - {type: instalSoftware, package: p}
          - {type: restart, colour: red}
          - {type: installSoftware, package: "%Nope%"}
        """)
        #expect(report.diagnostics.map(\.ruleID) == ["unknown-key", "unknown-step-type", "unknown-key", "undefined-variable"])
    }

    @Test func jsonFormatCarriesTheSameDiagnostics() throws {
        let report = lint("name: j\nsteps: [{type: restart, bogus: 1}]", file: "j.yaml")
        let json = Linter.json([report])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["errors"] as? Int == 1)
        let files = try #require(object["files"] as? [[String: Any]])
        let diagnostics = try #require(files.first?["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.first?["rule"] as? String == "unknown-key")
        #expect(diagnostics.first?["line"] as? Int == 2)
        #expect(diagnostics.first?["file"] as? String == "j.yaml")
    }

    @Test func inventoryVariablesSatisfyReferences() throws {
        let inv = try inventory("collections: [{name: Unknown Mac OS X Systems, variables: {Site: lab}}]")
        let text = "name: i\nsteps: [{type: installSoftware, package: \"%Site%\"}]"
        #expect(lint(text).hasErrors)
        #expect(!lint(text, inventory: inv).hasErrors)
    }
}

@Suite struct SchemaTests {
    @Test func committedSchemaMatchesGenerated() throws {
        let committed = try String(contentsOf: repositoryRoot.appendingPathComponent(TaskSequenceSchema.repositoryPath), encoding: .utf8)
        #expect(committed == TaskSequenceSchema.text(), "regenerate: netboot ts schema > \(TaskSequenceSchema.repositoryPath)")
    }

    @Test func committedInventorySchemaMatchesGenerated() throws {
        let committed = try String(contentsOf: repositoryRoot.appendingPathComponent(InventorySchema.repositoryPath), encoding: .utf8)
        #expect(committed == InventorySchema.text(), "regenerate: netboot ts schema --inventory > \(InventorySchema.repositoryPath)")
    }

    @Test func schemaListsEveryAuthorableStepType() throws {
        let text = TaskSequenceSchema.text()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let definitions = try #require(object["definitions"] as? [String: Any])
        for type in StepCatalog.authorable { #expect(definitions["step-\(type.rawValue)"] != nil) }
        #expect(definitions["step-installClient"] == nil)
        #expect(object["$schema"] as? String == "http://json-schema.org/draft-07/schema#")
    }
}
