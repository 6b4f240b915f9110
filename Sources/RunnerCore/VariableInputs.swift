/// Values the operator gives a run: `--var NAME=VALUE` and `--var-file FILE` (one
/// `NAME=VALUE` a line; blank lines and lines starting with `#` are ignored; the value is
/// the rest of the line as written). Pure parsing; reading the file is the shell's.
public enum VariableInputs {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// One `NAME=VALUE`.
    public static func assignment(_ text: String) throws(ParseError) -> VariableUtility.Assignment {
        guard let equals = text.firstIndex(of: "=") else { throw ParseError(description: "'\(VariableUtility.printable(text))' is not NAME=VALUE") }
        let name = String(text[..<equals])
        guard VariableUtility.isVariableName(name) else { throw ParseError(description: "'\(VariableUtility.printable(name))' is not a variable name") }
        guard !name.hasPrefix("_") else { throw ParseError(description: "'\(name)' is a read-only built-in variable") }
        return VariableUtility.Assignment(name: name, value: String(text[text.index(after: equals)...]))
    }

    /// The lines of a variable file; errors name `file:line`.
    public static func file(_ text: String, path: String) throws(ParseError) -> [VariableUtility.Assignment] {
        var out: [VariableUtility.Assignment] = []
        // `\r\n` is one Character, and a newline: CRLF files split the same.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do {
                out.append(try assignment(String(trimmed)))
            } catch {
                throw ParseError(description: "\(path):\(index + 1): \(error.description)")
            }
        }
        return out
    }
}
