import LocatedYAML
import NetbootWire
import Yams

/// Conversions of YAML nodes to typed values. Each reports a wrong type at the node's
/// position, named by its dotted path, and returns nil.
///
/// Typing follows YAML 1.2's core schema for plain scalars (`CoreSchema`, the one rule the
/// task-sequence reader uses too): a quoted `"69"` is a string, not a number, and `yes`/`no`
/// are strings, not booleans.
enum Scalars {
    static func isNull(_ node: Node) -> Bool {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return CoreSchema.isNull(scalar.string)
    }

    /// How a node is named in "found …": the scalar's text, or its kind.
    static func describe(_ node: Node) -> String {
        switch node {
        case let .scalar(scalar):
            if isNull(node) { return "nothing" }
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
            return "'\(text)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        default: return "an alias"
        }
    }

    private static func plainScalar(_ node: Node) -> String? {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else { return nil }
        return scalar.string
    }

    private static func wrongType(_ node: Node, _ name: String, _ expected: String, _ log: DiagnosticLog) {
        log.error("\(name): expected \(expected), found \(describe(node))", at: node.mark, rule: .wrongType)
    }

    /// Any scalar, quoted or not, as text (paths, names, URLs).
    static func string(_ node: Node, _ name: String, _ log: DiagnosticLog) -> String? {
        guard case let .scalar(scalar) = node else {
            wrongType(node, name, "a string", log)
            return nil
        }
        return scalar.string
    }

    static func bool(_ node: Node, _ name: String, _ log: DiagnosticLog) -> Bool? {
        if let text = plainScalar(node), let flag = CoreSchema.bool(text) { return flag }
        log.error(CoreSchema.booleanMessage("\(name): expected \(CoreSchema.booleanSpellings), found \(describe(node))", found: node.scalar?.string),
                  at: node.mark, rule: .wrongType)
        return nil
    }

    static func int(_ node: Node, _ name: String, in range: ClosedRange<Int>, _ log: DiagnosticLog) -> Int? {
        guard let text = plainScalar(node), let value = CoreSchema.int(text) else {
            wrongType(node, name, "an integer", log)
            return nil
        }
        guard range.contains(value) else {
            log.error("\(name): \(value) is out of range \(range.lowerBound)-\(range.upperBound)", at: node.mark, rule: .outOfRange)
            return nil
        }
        return value
    }

    static func ipv4(_ node: Node, _ name: String, _ log: DiagnosticLog) -> IPv4Address? {
        guard case let .scalar(scalar) = node, let address = IPv4Address(scalar.string) else {
            wrongType(node, name, "an IPv4 address (a.b.c.d)", log)
            return nil
        }
        return address
    }

    static func mac(_ node: Node, _ name: String, _ log: DiagnosticLog) -> MACAddress? {
        guard case let .scalar(scalar) = node, let address = MACAddress(scalar.string) else {
            wrongType(node, name, "a MAC address (aa:bb:cc:dd:ee:ff)", log)
            return nil
        }
        return address
    }

    static func prefix(_ node: Node, _ name: String, _ log: DiagnosticLog) -> IPv4Subnet? {
        guard case let .scalar(scalar) = node else {
            wrongType(node, name, "a network in CIDR form (a.b.c.d/n)", log)
            return nil
        }
        if let prefix = IPv4Subnet(scalar.string) { return prefix }
        // A host address with a length: say which network was meant.
        let parts = scalar.string.split(separator: "/")
        if parts.count == 2, let address = IPv4Address(String(parts[0])), let length = Int(parts[1]),
           let network = IPv4Subnet(network: address, prefixLength: length) {
            log.error("\(name): \(scalar.string) has host bits set (did you mean \(network)?)", at: node.mark, rule: .invalidValue)
            return nil
        }
        wrongType(node, name, "a network in CIDR form (a.b.c.d/n)", log)
        return nil
    }
}
