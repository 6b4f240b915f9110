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
    /// Our regex-free typing of plain scalars must agree with Yams' default resolver.
    @Test(arguments: ["", "~", "null", "NULL", "yes", "No", "on", "OFF", "true", "False", "0", "42", "-7", "+3", "1_000",
                      "0x1F", "0o17", "017", "08", "3.14", "-2.5e3", ".5", ".inf", "-.Inf", ".nan", "1e5", "10.13.6",
                      "MacBookPro11,1", "00:1c:42:00:00:01", "abc", "+", ".", "2026.11", "12ab"])
    func agreesWithYamsDefaultResolver(_ text: String) throws {
        let yams = try #require(try Yams.compose(yaml: "k: \(text.isEmpty ? "" : text)")?.mapping?["k"])
        let ours = ScalarTyping.type(of: text)
        switch yams.tag.rawValue {
        case Tag.Name.null.rawValue: #expect(ours == .null)
        case Tag.Name.bool.rawValue:
            let flag: Bool = try #require(yams.bool as Bool?)
            #expect(ours == SyntaxNode.Scalar.bool(flag))
        case Tag.Name.int.rawValue:
            let number: Int = try #require(yams.int as Int?)
            #expect(ours == SyntaxNode.Scalar.int(number))
        case Tag.Name.float.rawValue:
            let float: Double? = yams.float
            let value = try #require(float)
            if value.isNaN {
                guard case .float(let ours) = ours else { Issue.record("\(text): \(ours)"); return }
                #expect(ours.isNaN)
            } else {
                #expect(ours == .float(value))
            }
        default: #expect(ours == .string(text))
        }
    }

    @Test func quotedScalarsStayStrings() throws {
        let report = lint("name: \"123\"\nsteps: [{type: installSoftware, package: '42', retry: 1}]")
        #expect(!report.hasErrors)
        #expect(report.definition?.name == "123")
    }
}
