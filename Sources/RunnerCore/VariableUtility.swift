/// The `tsvar` contract: the seed's `PMM_TS_VARIABLE_UTIL` (seed L5066-5090):
///
///     a=`"${PMM_TS_VARIABLE_UTIL}" --get a`          # one name: the raw value
///     eval `"${PMM_TS_VARIABLE_UTIL}" --get a b`     # several: shell-safe assignments
///     "${PMM_TS_VARIABLE_UTIL}" --set b="$a" a=123
///
/// Pure: argument parsing, the request/response messages sent over the runner's Unix
/// socket (one JSON line each way), output formatting and exit codes.
public enum VariableUtility {
    /// `tsvar`'s exit codes (documented in docs/task-sequences.md).
    public enum ExitCode: Int32, Sendable, Codable, Equatable, CaseIterable {
        case success = 0
        /// Garbage arguments: nothing to do, an unknown option, `--set` without `=`, a bad name.
        case usage = 2
        /// `--get` of a variable that has no value.
        case unknownVariable = 3
        /// `--set` of a read-only built-in (`_TS…`).
        case readOnly = 4
        /// Not inside a run: `PMM_TS_VARIABLE_UTIL`'s socket is missing or nobody answers.
        case outsideRun = 5
        /// The runner answered something this tool does not understand.
        case protocolError = 6
    }

    public struct Assignment: Sendable, Codable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public enum Request: Sendable, Codable, Equatable {
        case get(names: [String])
        case set(assignments: [Assignment])
    }

    public enum Response: Sendable, Codable, Equatable {
        /// Values in the order asked for.
        case values([Assignment])
        case done
        case refused(code: ExitCode, message: String)
    }

    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public static let usage = """
    usage: tsvar --get NAME [NAME…]
           tsvar --set NAME=VALUE [NAME=VALUE…]
    Reads or sets task-sequence variables of the running sequence (PMM_TS_VARIABLE_UTIL).
    """

    /// Parses `tsvar`'s arguments (without the program name).
    public static func parse(_ arguments: [String]) throws(UsageError) -> Request {
        guard let mode = arguments.first else { throw UsageError(description: "nothing to do") }
        let rest = Array(arguments.dropFirst())
        switch mode {
        case "--get":
            guard !rest.isEmpty else { throw UsageError(description: "--get needs at least one name") }
            for name in rest where !isVariableName(name) {
                throw UsageError(description: "'\(printable(name))' is not a variable name")
            }
            if rest.count > 1, let bad = rest.first(where: { !isShellName($0) }) {
                throw UsageError(description: "'\(bad)' is not a shell variable name, so it cannot be assigned by eval; --get it alone")
            }
            return .get(names: rest)
        case "--set":
            guard !rest.isEmpty else { throw UsageError(description: "--set needs at least one NAME=VALUE") }
            var assignments: [Assignment] = []
            for argument in rest {
                guard let equals = argument.firstIndex(of: "=") else {
                    throw UsageError(description: "'\(printable(argument))' is not NAME=VALUE")
                }
                let name = String(argument[..<equals])
                guard isVariableName(name) else { throw UsageError(description: "'\(printable(name))' is not a variable name") }
                assignments.append(Assignment(name: name, value: String(argument[argument.index(after: equals)...])))
            }
            return .set(assignments: assignments)
        case "-h", "--help":
            throw UsageError(description: "help")
        default:
            throw UsageError(description: "unknown option '\(printable(mode))' (expected --get or --set)")
        }
    }

    /// What `--get` prints: the bare value for one name, `name='value'` lines for several.
    public static func output(for values: [Assignment]) -> String {
        if values.count == 1, let only = values.first { return only.value + "\n" }
        return values.map { "\($0.name)=\(shellQuoted($0.value))\n" }.joined()
    }

    /// Single-quoted for a POSIX shell: `'` becomes `'\''`.
    public static func shellQuoted(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }

    /// A task-sequence variable name (`VariableName.isValid`'s rule, repeated here so this
    /// file needs nothing but the standard library).
    public static func isVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 256 else { return false }
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }

    /// A name `eval` can assign: no `-`.
    public static func isShellName(_ text: String) -> Bool {
        isVariableName(text) && !text.contains("-")
    }

    /// An argument shown in an error message: control characters replaced, at most 64 characters.
    static func printable(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
        return cleaned.count > 64 ? String(cleaned.prefix(64)) + "…" : cleaned
    }
}
