import Foundation

extension Plan {
    /// The plan as stable, pretty JSON (sorted keys; absent values omitted), the same document
    /// `JSONEncoder` gives for `Codable`, written directly because the encoder was a fifth of
    /// the time of `ts plan --json` on big sequences. Secrets are already `***` in the model.
    public func json() -> String {
        var out = ""
        out.reserveCapacity(steps.count * 400)
        JSONText.write(jsonValue, into: &out, indent: 0)
        return out
    }

    var jsonValue: JSONValue {
        func variable(_ v: Variable) -> JSONValue {
            var o: [String: JSONValue] = ["name": .string(v.name), "layer": .string(v.layer), "secret": .bool(v.secret), "prompted": .bool(v.prompted)]
            if let value = v.value { o["value"] = .string(value) }
            return .object(o)
        }
        var machineObject: [String: JSONValue] = ["mac": .string(machine.mac), "platform": .string(machine.platform.rawValue)]
        if let model = machine.model { machineObject["model"] = .string(model) }
        if let serial = machine.serial { machineObject["serial"] = .string(serial) }
        var root: [String: JSONValue] = [
            "sequence": .string(sequence), "file": .string(file), "machine": .object(machineObject),
            "collections": .array(collections.map(JSONValue.string)), "deployedTo": .array(deployedTo.map(JSONValue.string)),
            "variables": .array(variables.map(variable)), "prompted": .array(prompted.map(JSONValue.string)),
            "instructionCount": .int(instructionCount),
        ]
        if let device { root["device"] = .string(device) }
        root["steps"] = .array(steps.map { step in
            var o: [String: JSONValue] = [
                "pointer": .int(step.pointer), "kind": .string(step.kind), "depth": .int(step.depth), "name": .string(step.name),
                "disabled": .bool(step.disabled), "continueOnError": .bool(step.continueOnError), "automatic": .bool(step.automatic),
                "runs": .string(step.runs),
                "properties": .array(step.properties.map { property in
                    var p: [String: JSONValue] = ["name": .string(property.name), "value": .string(property.value)]
                    if let from = property.from { p["from"] = .string(from) }
                    return .object(p)
                }),
                "sets": .array(step.sets.map(variable)),
            ]
            if let id = step.id { o["id"] = .string(id) }
            if let type = step.type { o["type"] = .string(type) }
            if let condition = step.condition { o["condition"] = .string(condition) }
            if let reason = step.reason { o["reason"] = .string(reason) }
            return .object(o)
        })
        return .object(root)
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
    static func write(_ value: JSONValue, into out: inout String, indent: Int) {
        switch value {
        case .string(let text): escape(text, into: &out)
        case .int(let number): out += String(number)
        case .bool(let flag): out += flag ? "true" : "false"
        case .array(let items):
            if items.isEmpty { out += "[\n\n" + spaces(indent) + "]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += spaces(indent + 2)
                write(item, into: &out, indent: indent + 2)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += spaces(indent) + "]"
        case .object(let object):
            if object.isEmpty { out += "{\n\n" + spaces(indent) + "}"; return }
            out += "{\n"
            let keys = object.keys.sorted()
            for (i, key) in keys.enumerated() {
                out += spaces(indent + 2)
                escape(key, into: &out)
                out += " : "
                if let item = object[key] { write(item, into: &out, indent: indent + 2) }
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += spaces(indent) + "}"
        }
    }

    static func spaces(_ count: Int) -> String { String(repeating: " ", count: count) }

    static func escape(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
