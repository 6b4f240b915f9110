import Foundation
import JSONEscape

extension Plan {
    /// The plan as stable, pretty JSON (sorted keys; absent values omitted), the same document
    /// `JSONEncoder` gives for `Codable`, written directly because the encoder was a fifth of
    /// the time of `ts plan --json` on big sequences. Secrets are already `***` in the model.
    public func json() -> String {
        var out = ""
        out.reserveCapacity(steps.count * 600)
        JSONText.write(jsonNode, into: &out, indent: 0)
        return out
    }

    /// The plan as JSON fields, written in sorted key order (keys below are in that order).
    var jsonNode: JSONText.Node {
        func variable(_ v: Variable) -> JSONText.Node {
            var f: [(String, JSONText.Node)] = [("layer", .string(v.layer)), ("name", .string(v.name)), ("prompted", .bool(v.prompted)), ("secret", .bool(v.secret))]
            if let value = v.value { f.append(("value", .string(value))) }
            return .fields(f)
        }
        var machineFields: [(String, JSONText.Node)] = [("mac", .string(machine.mac))]
        if let model = machine.model { machineFields.append(("model", .string(model))) }
        machineFields.append(("platform", .string(machine.platform.rawValue)))
        if let serial = machine.serial { machineFields.append(("serial", .string(serial))) }
        var root: [(String, JSONText.Node)] = [
            ("collections", .array(collections.map(JSONText.Node.string))),
            ("deployedTo", .array(deployedTo.map(JSONText.Node.string))),
        ]
        if let device { root.append(("device", .string(device))) }
        root += [
            ("file", .string(file)),
            ("instructionCount", .int(instructionCount)),
            ("machine", .fields(machineFields)),
            ("prompted", .array(prompted.map(JSONText.Node.string))),
            ("sequence", .string(sequence)),
        ]
        root.append(("steps", .array(steps.map { step in
            var f: [(String, JSONText.Node)] = [("automatic", .bool(step.automatic))]
            if let condition = step.condition { f.append(("condition", .string(condition))) }
            f += [("continueOnError", .bool(step.continueOnError)), ("depth", .int(step.depth)), ("disabled", .bool(step.disabled))]
            if let id = step.id { f.append(("id", .string(id))) }
            f += [("kind", .string(step.kind)), ("name", .string(step.name)), ("pointer", .int(step.pointer))]
            f.append(("properties", .array(step.properties.map { property in
                var p: [(String, JSONText.Node)] = []
                if let from = property.from { p.append(("from", .string(from))) }
                p += [("name", .string(property.name)), ("value", .string(property.value))]
                return .fields(p)
            })))
            if let reason = step.reason { f.append(("reason", .string(reason))) }
            f += [("runs", .string(step.runs)), ("sets", .array(step.sets.map(variable)))]
            if let type = step.type { f.append(("type", .string(type))) }
            return .fields(f)
        })))
        root.append(("variables", .array(variables.map(variable))))
        return .fields(root)
    }

    /// The plan for people.
    public var text: String {
        var lines: [String] = []
        lines.append("Sequence:    \(sequence)  (\(file))")
        var machineLine = "Machine:     \(machine.mac) (\(machine.platform == .mac ? "Mac" : "PC"))"
        if let model = machine.model { machineLine += "  model \(model)" }
        if let serial = machine.serial { machineLine += "  serial \(serial)" }
        machineLine += device.map { "  device '\($0)'" } ?? "  not listed as a device"
        lines.append(machineLine)
        lines.append("Collections: " + (collections.isEmpty ? "(none)" : collections.joined(separator: ", ")))
        lines.append("Deployed:    " + (deployedTo.isEmpty ? "no: not deployed to any of these collections" : "yes, to " + deployedTo.joined(separator: ", ")))
        lines.append("")
        lines.append("Variables (layer: built-in < collection < device < task sequence < set while running):")
        let width = min(32, variables.map(\.name.count).max() ?? 0)
        for variable in variables {
            let padded = variable.name.padding(toLength: max(width, variable.name.count), withPad: " ", startingAt: 0)
            let value = variable.value ?? "(prompted at run time)"
            lines.append("  \(padded) = \(value)  [\(variable.layer)\(variable.secret ? ", secret" : "")]")
        }
        lines.append("")
        lines.append("Prompted at run time: " + (prompted.isEmpty ? "(none)" : prompted.joined(separator: ", ")))
        lines.append("")
        lines.append("Steps (\(instructionCount) instructions; assumes each step succeeds):")
        for step in steps {
            let indent = String(repeating: "  ", count: step.depth + 1)
            var head = "\(String(step.pointer).leftPadded(4))\(indent)"
            head += step.kind == "group" ? "group '\(step.name)'" : "\(step.type ?? "step") '\(step.name)'"
            if let id = step.id { head += " #\(id)" }
            var notes: [String] = []
            if let condition = step.condition { notes.append("condition: \(condition)") }
            notes.append("runs: \(step.runs)" + (step.reason.map { " (\($0))" } ?? ""))
            if step.continueOnError { notes.append("continue on error") }
            if step.automatic { notes.append("added automatically") }
            lines.append(head + "  — " + notes.joined(separator: "; "))
            let detail = String(repeating: " ", count: 4) + indent + "    "
            for property in step.properties {
                lines.append("\(detail)\(property.name) = \(property.value)" + (property.from.map { "  (from %\($0)%)" } ?? ""))
            }
            for variable in step.sets {
                lines.append("\(detail)set \(variable.name) = \(variable.value ?? "(prompted at run time)")")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// Pretty JSON text with sorted keys, formatted as Foundation's `JSONEncoder` does
/// (`[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`).
enum JSONText {
    /// A JSON value whose object fields are already in sorted key order.
    indirect enum Node {
        case string(String)
        case int(Int)
        case bool(Bool)
        case array([Node])
        case fields([(String, Node)])
    }

    static func write(_ value: Node, into out: inout String, indent: Int) {
        switch value {
        case .string(let text): JSONString.append(text, to: &out)
        case .int(let number): out += String(number)
        case .bool(let flag): out += flag ? "true" : "false"
        case .array(let items):
            if items.isEmpty { out += "[\n\n"; out += spaces(indent); out += "]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += spaces(indent + 2)
                write(item, into: &out, indent: indent + 2)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += spaces(indent); out += "]"
        case .fields(let fields):
            if fields.isEmpty { out += "{\n\n"; out += spaces(indent); out += "}"; return }
            out += "{\n"
            for (i, field) in fields.enumerated() {
                out += spaces(indent + 2)
                JSONString.append(field.0, to: &out)
                out += " : "
                write(field.1, into: &out, indent: indent + 2)
                out += i == fields.count - 1 ? "\n" : ",\n"
            }
            out += spaces(indent); out += "}"
        }
    }

    static let indents: [String] = (0..<64).map { String(repeating: " ", count: $0) }

    static func spaces(_ count: Int) -> String { count < indents.count ? indents[count] : String(repeating: " ", count: count) }

}
