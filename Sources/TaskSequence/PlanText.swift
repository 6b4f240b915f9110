import Foundation

extension Plan {
    /// The plan as stable, pretty JSON (sorted keys). Secrets are already `***` in the model.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
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
