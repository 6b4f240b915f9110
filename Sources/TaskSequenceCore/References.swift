/// `%VAR%` references in property values and compared values (seed L4911-4912: "enclose the
/// variable name by percent sign"). `%%` is a literal percent sign; a `%` that does not start a
/// valid `%Name%` is kept as written.
public enum VariableReferences {
    /// The names referenced in `text`, in order.
    public static func names(in text: String) -> [VariableName] {
        var out: [VariableName] = []
        scan(text) { piece in
            if case .reference(let name) = piece { out.append(name) }
        }
        return out
    }

    /// `text` with each reference replaced by `value(name)`; a reference whose value is nil is
    /// kept as written (`%Name%`).
    public static func expand(_ text: String, value: (VariableName) -> String?) -> String {
        guard text.contains("%") else { return text }
        var out = ""
        scan(text) { piece in
            switch piece {
            case .literal(let literal): out += literal
            case .reference(let name): out += value(name) ?? "%\(name.spelling)%"
            }
        }
        return out
    }

    enum Piece {
        case literal(Substring)
        case reference(VariableName)
    }

    static func scan(_ text: String, _ emit: (Piece) -> Void) {
        var rest = text[...]
        while let percent = rest.firstIndex(of: "%") {
            emit(.literal(rest[rest.startIndex..<percent]))
            let after = rest.index(after: percent)
            if after < rest.endIndex, rest[after] == "%" {
                emit(.literal("%"))
                rest = rest[rest.index(after: after)...]
                continue
            }
            if let close = rest[after...].firstIndex(of: "%") {
                let candidate = String(rest[after..<close])
                if VariableName.isValid(candidate) {
                    emit(.reference(VariableName(candidate)))
                    rest = rest[rest.index(after: close)...]
                    continue
                }
            }
            emit(.literal("%"))
            rest = rest[after...]
        }
        emit(.literal(rest))
    }
}
