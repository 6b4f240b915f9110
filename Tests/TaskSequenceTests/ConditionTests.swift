import Testing
import LocatedYAML
import Yams
@testable import TaskSequence

private let here = SourceLocation(file: "t", line: 1, column: 1)

private func test(_ variable: String, _ op: VariableTest.Operator, _ value: String? = nil) -> Condition {
    .test(VariableTest(variable: VariableName(variable), op: op, value: value, location: here, variableLocation: here, valueLocation: here))
}

private func evaluate(_ condition: Condition, _ values: [String: KnownValue]) -> Truth {
    ConditionEvaluator { name in values.first { $0.key.lowercased() == name.key }?.value ?? .unset }.evaluate(condition)
}

@Suite struct ConditionOperatorTests {
    @Test func equalsAndNotEquals() {
        #expect(evaluate(test("Site", .equals, "lab"), ["Site": .value("LAB")]) == .true)
        #expect(evaluate(test("Site", .equals, "lab"), ["Site": .value("labs")]) == .false)
        #expect(evaluate(test("Site", .equals, "10"), ["Site": .value("10.0")]) == .true)
        #expect(evaluate(test("Site", .notEquals, "lab"), ["Site": .value("office")]) == .true)
        #expect(evaluate(test("Site", .notEquals, "lab"), ["Site": .value("Lab")]) == .false)
        // Unset: a comparison is false, "not equal" is true.
        #expect(evaluate(test("Site", .equals, "lab"), [:]) == .false)
        #expect(evaluate(test("Site", .notEquals, "lab"), [:]) == .true)
    }

    @Test func orderingNumbersVersionsAndText() {
        #expect(evaluate(test("N", .greater, "9"), ["N": .value("10")]) == .true)
        #expect(evaluate(test("N", .greater, "10"), ["N": .value("10")]) == .false)
        #expect(evaluate(test("N", .greaterOrEqual, "10"), ["N": .value("10")]) == .true)
        #expect(evaluate(test("N", .less, "10"), ["N": .value("9")]) == .true)
        #expect(evaluate(test("N", .less, "9"), ["N": .value("9")]) == .false)
        #expect(evaluate(test("N", .lessOrEqual, "9"), ["N": .value("9")]) == .true)
        #expect(evaluate(test("N", .lessOrEqual, "8"), ["N": .value("9")]) == .false)
        // Versions compare by component, not as text ("10.13.6" > "10.9").
        #expect(evaluate(test("OS", .greater, "10.9"), ["OS": .value("10.13.6")]) == .true)
        #expect(evaluate(test("OS", .less, "10.13.6"), ["OS": .value("10.13")]) == .true)
        // Text compares case-insensitively.
        #expect(evaluate(test("T", .less, "beta"), ["T": .value("Alpha")]) == .true)
        #expect(evaluate(test("T", .greater, "b"), [:]) == .false)
    }

    @Test func existsAndNotExists() {
        #expect(evaluate(test("X", .exists), ["X": .value("")]) == .true)
        #expect(evaluate(test("X", .exists), [:]) == .false)
        #expect(evaluate(test("X", .notExists), [:]) == .true)
        #expect(evaluate(test("X", .notExists), ["X": .value("1")]) == .false)
        // A prompted variable exists, value unknown.
        #expect(evaluate(test("X", .exists), ["X": .existsUnknown]) == .true)
        #expect(evaluate(test("X", .equals, "a"), ["X": .existsUnknown]) == .undecided)
    }

    @Test func likeWildcards() {
        #expect(evaluate(test("M", .like, "MacBook*"), ["M": .value("macbookpro11,1")]) == .true)
        #expect(evaluate(test("M", .like, "iMac??,*"), ["M": .value("iMac18,3")]) == .true)
        #expect(evaluate(test("M", .like, "iMac??,*"), ["M": .value("iMac8,1")]) == .false)
        #expect(evaluate(test("M", .like, "*Pro*"), ["M": .value("MacPro7,1")]) == .true)
        #expect(evaluate(test("M", .like, "Mac"), ["M": .value("MacPro")]) == .false)
        #expect(Wildcard.matches("", pattern: "*"))
        #expect(!Wildcard.matches("a", pattern: ""))
        #expect(Wildcard.matches(String(repeating: "a", count: 2000), pattern: String(repeating: "*a", count: 50)))
    }

    @Test func combinatorsAndNesting() {
        let yes = test("A", .equals, "1"), no = test("A", .equals, "2"), maybe = test("U", .equals, "1")
        let values: [String: KnownValue] = ["A": .value("1"), "U": .unknown]
        #expect(evaluate(.statement(.all, [yes, yes], at: here), values) == .true)
        #expect(evaluate(.statement(.all, [yes, no], at: here), values) == .false)
        #expect(evaluate(.statement(.all, [yes, maybe], at: here), values) == .undecided)
        #expect(evaluate(.statement(.all, [no, maybe], at: here), values) == .false)
        #expect(evaluate(.statement(.any, [no, yes], at: here), values) == .true)
        #expect(evaluate(.statement(.any, [no, no], at: here), values) == .false)
        #expect(evaluate(.statement(.any, [no, maybe], at: here), values) == .undecided)
        #expect(evaluate(.statement(.any, [yes, maybe], at: here), values) == .true)
        #expect(evaluate(.statement(.none, [no, no], at: here), values) == .true)
        #expect(evaluate(.statement(.none, [no, yes], at: here), values) == .false)
        #expect(evaluate(.statement(.none, [maybe], at: here), values) == .undecided)
        // Nested: all(A=1, none(any(A=2)))
        let nested = Condition.statement(.all, [yes, .statement(.none, [.statement(.any, [no], at: here)], at: here)], at: here)
        #expect(evaluate(nested, values) == .true)
        // Empty lists: all and none are true, any is false.
        #expect(evaluate(.statement(.all, [], at: here), [:]) == .true)
        #expect(evaluate(.statement(.any, [], at: here), [:]) == .false)
        #expect(evaluate(.statement(.none, [], at: here), [:]) == .true)
    }

    @Test func comparedValuesExpandReferences() {
        let condition = test("Name", .equals, "%Prefix%-01")
        #expect(evaluate(condition, ["Name": .value("lab-01"), "Prefix": .value("lab")]) == .true)
        #expect(evaluate(condition, ["Name": .value("lab-01"), "Prefix": .unknown]) == .undecided)
    }

    @Test func parsedFromYAML() throws {
        let definition = try sequence("""
        name: t
        variables: {Site: lab}
        steps:
          - type: restart
            condition:
              if:
                any:
                  - variable: Site
                    like: "la*"
                  - if:
                      none:
                        - variable: site
                          exists: true
        """)
        let condition = try #require(definition.items.first?.options.condition)
        guard case .statement(.any, let children, _) = condition else { Issue.record("not an any statement"); return }
        #expect(children.count == 2)
        #expect(evaluate(condition, ["Site": .value("lab")]) == .true)
        #expect(evaluate(condition, ["Site": .value("office")]) == .false)
    }
}

@Suite struct VariableReferenceTests {
    @Test func scanAndExpand() {
        #expect(VariableReferences.names(in: "%A%-%b_2%") == [VariableName("A"), VariableName("B_2")])
        #expect(VariableReferences.names(in: "100% sure, 50%").isEmpty)
        #expect(VariableReferences.expand("%A%%%-%B%") { $0 == VariableName("a") ? "x" : nil } == "x%-%B%")
        #expect(VariableReferences.expand("no refs") { _ in "x" } == "no refs")
    }
}

@Suite struct ScalarTypingTests {
    /// Plain scalars are typed by YAML 1.2's core schema (the rule `etc/netboot.yaml` follows
    /// too): known answers from YAML 1.2.2 §10.3.2.
    @Test(arguments: [
        ("", .null), ("~", .null), ("null", .null), ("NULL", .null),
        ("true", .bool(true)), ("False", .bool(false)), ("TRUE", .bool(true)),
        ("yes", .string("yes")), ("No", .string("No")), ("on", .string("on")), ("OFF", .string("OFF")), ("y", .string("y")),
        ("0", .int(0)), ("42", .int(42)), ("-7", .int(-7)), ("+3", .int(3)), ("017", .int(17)), ("08", .int(8)),
        ("0x1F", .int(31)), ("0o17", .int(15)), ("1_000", .string("1_000")), ("0b101", .string("0b101")),
        ("3.14", .float(3.14)), ("-2.5e3", .float(-2500)), (".5", .float(0.5)), ("1.", .float(1)), ("1e5", .float(100_000)),
        (".inf", .float(.infinity)), ("-.Inf", .float(-.infinity)),
        ("10.13.6", .string("10.13.6")), ("MacBookPro11,1", .string("MacBookPro11,1")),
        ("00:1c:42:00:00:01", .string("00:1c:42:00:00:01")), ("abc", .string("abc")), ("+", .string("+")),
        (".", .string(".")), ("2026.11", .float(2026.11)), ("12ab", .string("12ab")), ("0x", .string("0x")), ("1e", .string("1e")),
    ] as [(String, SyntaxNode.Scalar)])
    func followsTheCoreSchema(_ text: String, _ expected: SyntaxNode.Scalar) {
        #expect(ScalarTyping.type(of: text) == expected, "\(text)")
    }

    @Test func nanIsAFloat() {
        guard case .float(let value) = ScalarTyping.type(of: ".nan") else { Issue.record("not a float"); return }
        #expect(value.isNaN)
    }

    /// `yes` is not a boolean in a sequence (as in the configuration), and the error says what is.
    @Test func yaml11BooleansAreRefusedWithTheAcceptedSpellings() {
        let report = lint("name: x\nsteps:\n  - {type: installSoftware, package: p, disabled: yes}\n")
        #expect(report.diagnostics.map(\.description) == [
            "test.yaml:3:51: error: 'disabled' must be true or false, not a string; 'yes' is a string in YAML 1.2, the rule for every netboot file; write true or false [wrong-type]",
        ])
        #expect(!lint("name: x\nsteps:\n  - {type: installSoftware, package: p, disabled: True}\n").hasErrors)
    }

    @Test func quotedScalarsStayStrings() throws {
        let report = lint("name: \"123\"\nsteps: [{type: installSoftware, package: '42', retry: 1}]")
        #expect(!report.hasErrors)
        #expect(report.definition?.name == "123")
    }
}
