/// The end of every `--help`: examples to copy and the exit codes (issue 14 item 8). Usage
/// errors (an unknown option, a bad value) are ArgumentParser's 64 everywhere, and listed last.
enum HelpText {
    /// `text` (may be empty), then `EXAMPLES:` with each command and what it does, then
    /// `EXIT CODES:`.
    static func discussion(_ text: String = "", examples: [(command: String, meaning: String)],
                           exitCodes: [(code: Int32, meaning: String)]) -> String {
        var out = text.isEmpty ? "" : text + "\n\n"
        out += "EXAMPLES:\n"
        out += examples.map { "  \($0.command)\n" + wrapped($0.meaning, first: indent, rest: indent) }.joined(separator: "\n")
        out += "\n\nEXIT CODES:\n"
        let codes = exitCodes + [(code: usageExitCode, meaning: "wrong usage: an unknown option or a bad value (the message says which)")]
        out += codes.map { wrapped($0.meaning, first: "  " + String($0.code).padding(toLength: 4, withPad: " ", startingAt: 0), rest: indent) }
            .joined(separator: "\n")
        return out
    }

    private static let indent = "      "
    /// Narrower than ArgumentParser's 80 columns, so it never re-wraps a line (losing the indent).
    private static let width = 78

    /// `text` word-wrapped to ``width``: the first line after `first`, the others after `rest`.
    static func wrapped(_ text: String, first: String, rest: String) -> String {
        var lines: [String] = []
        var line = first
        var lineHasWord = false
        for word in text.split(separator: " ") {
            if lineHasWord, line.count + 1 + word.count > width {
                lines.append(line)
                line = rest
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// ArgumentParser's exit code for usage and validation errors (EX_USAGE).
    static let usageExitCode: Int32 = 64

    /// The exit codes of a command group, which only prints its help.
    static let group: [(code: Int32, meaning: String)] = [(0, "the help was printed")]

    /// A command that loads the configuration (``ConfigurationOption``) fails this way on a bad file.
    static let configurationError = "the configuration has errors (all printed, as by `netboot config check`)"
}
