#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Diagnostics

/// A step or group condition: a closed grammar, not code (seed L4995-5029). The If statement
/// comes first and combines its children with `all`, `any` or `none`; children are variable
/// tests or nested If statements.
public indirect enum Condition: Sendable {
    public enum Combinator: String, Sendable, CaseIterable, Codable {
        case all, any, none
    }

    case statement(Combinator, [Condition], at: SourceLocation)
    case test(VariableTest)

    public var location: SourceLocation {
        switch self {
        case .statement(_, _, let location): return location
        case .test(let test): return test.location
        }
    }

    /// Every variable the condition reads, with where.
    public var variables: [(VariableName, SourceLocation)] {
        switch self {
        case .statement(_, let children, _): return children.flatMap(\.variables)
        case .test(let test): return [(test.variable, test.variableLocation)] + test.references
        }
    }
}

/// A task-sequence variable test: "a variable name, a condition (logical operator), and a value"
/// (seed L5010-5014); operators as SCCM's `VariableOperatorType` (engines §1.2).
public struct VariableTest: Sendable {
    public enum Operator: String, Sendable, CaseIterable, Codable {
        case equals, notEquals, greater, greaterOrEqual, less, lessOrEqual, exists, notExists, like

        public var takesValue: Bool { self != .exists && self != .notExists }
    }

    public var variable: VariableName
    public var op: Operator
    /// The value to compare with; may contain `%VAR%` references. Nil for exists/notExists.
    public var value: String?
    public var location: SourceLocation
    public var variableLocation: SourceLocation
    public var valueLocation: SourceLocation

    public init(variable: VariableName, op: Operator, value: String?, location: SourceLocation,
                variableLocation: SourceLocation, valueLocation: SourceLocation) {
        self.variable = variable
        self.op = op
        self.value = value
        self.location = location
        self.variableLocation = variableLocation
        self.valueLocation = valueLocation
    }

    /// `%VAR%` references inside the compared value.
    public var references: [(VariableName, SourceLocation)] {
        guard let value else { return [] }
        return VariableReferences.names(in: value).map { ($0, valueLocation) }
    }
}

/// The three-valued result of evaluating a condition where some values are only known at run
/// time (plan): true, false, or undecided.
public enum Truth: String, Sendable, Codable, Equatable {
    case `true`, `false`, undecided

    init(_ value: Bool) { self = value ? .true : .false }
}

/// What the evaluator knows about a variable.
public enum KnownValue: Sendable, Equatable {
    case unset
    case value(String)
    /// Known to exist, value unknown until run time (prompted, run-time built-ins).
    case existsUnknown
    /// Anything: may be set, changed or removed before the condition runs.
    case unknown
}

/// Evaluates conditions in Kleene logic. At run time every lookup is `.value` or `.unset`, so
/// the result is never `undecided`.
public struct ConditionEvaluator {
    public let lookup: (VariableName) -> KnownValue

    public init(lookup: @escaping (VariableName) -> KnownValue) {
        self.lookup = lookup
    }

    public func evaluate(_ condition: Condition) -> Truth {
        switch condition {
        case .statement(let combinator, let children, _):
            let results = children.map(evaluate)
            switch combinator {
            case .all:
                if results.contains(.false) { return .false }
                return results.contains(.undecided) ? .undecided : .true
            case .any:
                if results.contains(.true) { return .true }
                return results.contains(.undecided) ? .undecided : .false
            case .none:
                if results.contains(.true) { return .false }
                return results.contains(.undecided) ? .undecided : .true
            }
        case .test(let test):
            return evaluate(test)
        }
    }

    public func evaluate(_ test: VariableTest) -> Truth {
        let known = lookup(test.variable)
        switch test.op {
        case .exists:
            switch known {
            case .unset: return .false
            case .value, .existsUnknown: return .true
            case .unknown: return .undecided
            }
        case .notExists:
            switch known {
            case .unset: return .true
            case .value, .existsUnknown: return .false
            case .unknown: return .undecided
            }
        default:
            break
        }
        guard let expected = expand(test.value ?? "") else { return .undecided }
        switch known {
        case .unset:
            // A comparison with a variable that does not exist is false, except "not equal".
            return Truth(test.op == .notEquals)
        case .existsUnknown, .unknown:
            return .undecided
        case .value(let actual):
            return Truth(VariableTest.compare(actual, test.op, expected))
        }
    }

    /// Expands `%VAR%` in a compared value; nil when a referenced value is not known yet.
    func expand(_ text: String) -> String? {
        var undecided = false
        let expanded = VariableReferences.expand(text) { name in
            switch lookup(name) {
            case .value(let value): return value
            case .unset: return nil
            case .existsUnknown, .unknown: undecided = true; return nil
            }
        }
        return undecided ? nil : expanded
    }
}

extension VariableTest {
    /// Compares two values: numerically when both are numbers, as dotted versions when both
    /// are versions (`10.13.6`), otherwise as case-insensitive text. `like` matches `*` (any
    /// run) and `?` (one character), ignoring case.
    public static func compare(_ actual: String, _ op: Operator, _ expected: String) -> Bool {
        switch op {
        case .exists: return true
        case .notExists: return false
        case .like: return Wildcard.matches(actual, pattern: expected)
        case .equals: return order(actual, expected) == 0
        case .notEquals: return order(actual, expected) != 0
        case .greater: return order(actual, expected) > 0
        case .greaterOrEqual: return order(actual, expected) >= 0
        case .less: return order(actual, expected) < 0
        case .lessOrEqual: return order(actual, expected) <= 0
        }
    }

    /// `text` without leading and trailing spaces and tabs (Foundation's `.whitespaces`:
    /// Unicode space separators and U+0009), without Foundation.
    static func trimmingSpaces(_ text: String) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }

    static func order(_ a: String, _ b: String) -> Int {
        let ta = trimmingSpaces(a), tb = trimmingSpaces(b)
        if let x = Double(ta), let y = Double(tb), x.isFinite, y.isFinite {
            return x < y ? -1 : (x > y ? 1 : 0)
        }
        if let x = version(ta), let y = version(tb) {
            for i in 0..<max(x.count, y.count) {
                let l = i < x.count ? x[i] : 0, r = i < y.count ? y[i] : 0
                if l != r { return l < r ? -1 : 1 }
            }
            return 0
        }
        let la = ta.lowercased(), lb = tb.lowercased()
        return la < lb ? -1 : (la > lb ? 1 : 0)
    }

    static func version(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        var out: [Int] = []
        for part in parts {
            guard let number = Int(part), number >= 0 else { return nil }
            out.append(number)
        }
        return out
    }
}

/// Wildcard matching for `like` and inventory rules: `*` matches any run, `?` one character,
/// case-insensitive. Linear time (greedy with one backtrack point), so patterns cannot blow up.
public enum Wildcard {
    public static func matches(_ text: String, pattern: String) -> Bool {
        let s = Array(text.lowercased()), p = Array(pattern.lowercased())
        var i = 0, j = 0
        var star = -1, mark = 0
        while i < s.count {
            if j < p.count, p[j] == "?" || p[j] == s[i] {
                i += 1; j += 1
            } else if j < p.count, p[j] == "*" {
                star = j; mark = i; j += 1
            } else if star >= 0 {
                j = star + 1; mark += 1; i = mark
            } else {
                return false
            }
        }
        while j < p.count, p[j] == "*" { j += 1 }
        return j == p.count
    }
}
