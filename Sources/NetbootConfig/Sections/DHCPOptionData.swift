import LocatedYAML
import NetbootWire
import Yams

/// `option-data:` lists (issue 20) — at `dhcp:` (global), in a subnet, a client class and a
/// reservation, written as Kea writes them:
///
/// ```yaml
/// option-data:
///   - { name: ntp-servers, data: "10.0.0.1, 10.0.0.2" }   # or data: [10.0.0.1, 10.0.0.2]
///   - { code: 252, data: "0a0b0c", always-send: true }       # a code without a name: hex
///   - { name: vendor-encapsulated-options, data: "01:04:c0:a8:00:01" }
/// ```
///
/// The value is checked against the option's definition (`DHCPOptionDefinition`): a wrong type,
/// an unknown name or a value out of range is an error at the value's `file:line:col`.
/// `csv-format: false` writes any option's data as hex (as Kea); `type` (ipv4, ipv4-list, string,
/// uint8, uint16, uint32, int32, uint16-list, bool, binary, fqdn-list) types a code that has no
/// name. Codes the server owns (1, 50–55, 57–59, 61, 82) cannot be set.
extension MappingReader {
    func optionData(_ key: String) -> [DHCPOptionData] {
        var seen: [UInt8: String] = [:]
        return list(key, default: []) { node, name in
            guard let option = Self.readOption(node, name, log) else { return nil }
            if let earlier = seen[option.code.rawValue] {
                log.error("\(name): option \(option.code.rawValue) is already set at this level (\(earlier))", at: node.mark, rule: .conflict)
                return nil
            }
            seen[option.code.rawValue] = name
            return option
        }
    }

    private static func readOption(_ node: Node, _ name: String, _ log: DiagnosticLog) -> DHCPOptionData? {
        let e = MappingReader(node, path: name, log: log)
        defer { e.finish() }
        let optionName = e.optionalString("name")
        let code = e.optionalInt("code", in: 1...254)
        let alwaysSend = e.bool("always-send", default: false)
        let csvFormat = e.bool("csv-format", default: true)
        let dataNode = e.node("data")
        // An unnamed code may say how its value is written (Kea's `option-def` type).
        var valueType: DHCPOptionValueType?
        if let node = e.node("type"), let text = Scalars.string(node, e.name("type"), log) {
            valueType = DHCPOptionValueType(rawValue: text)
            if valueType == nil {
                let types = DHCPOptionValueType.allCases.map(\.rawValue)
                var message = "\(e.name("type")): '\(text)' is not one of \(types.joined(separator: ", "))"
                if let suggestion = Suggestion.closest(to: text, among: types) { message += " (did you mean '\(suggestion)'?)" }
                log.error(message, at: node.mark, rule: .invalidValue)
                return nil
            }
        }
        var definition: DHCPOptionDefinition?
        if let optionName {
            definition = DHCPOptionDefinition.definition(named: optionName)
            if definition == nil {
                var message = "\(e.name("name")): unknown option name '\(optionName)'"
                if let suggestion = Suggestion.closest(to: optionName, among: DHCPOptionDefinition.names) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                message += "; options without a name are written with 'code' and hex 'data'"
                log.error(message, at: e.mark(of: "name"), rule: .invalidValue)
                return nil
            }
            if let code, let definition, definition.code.rawValue != code {
                log.error("\(e.name("code")): \(code) is not the code of '\(optionName)' (\(definition.code.rawValue))",
                          at: e.mark(of: "code"), rule: .conflict)
                return nil
            }
        } else if let code {
            definition = DHCPOptionDefinition.definition(for: DHCPOptionCode(UInt8(code)))
        } else {
            if !e.has("code") { log.error("\(name): missing required key 'name' or 'code'", at: node.mark, rule: .missingKey) }
            return nil
        }
        guard var definition else { return nil }
        let label = definition.name.hasPrefix("option-") ? "option \(definition.code.rawValue)"
            : "\(definition.name) (\(definition.code.rawValue))"
        if DHCPOptionDefinition.serverOwned.contains(definition.code.rawValue) {
            log.error("\(name): \(label) is set by the server itself and cannot be configured",
                      at: e.mark(of: optionName != nil ? "name" : "code"), rule: .invalidValue)
            return nil
        }
        if let valueType {
            guard optionName == nil, definition.name.hasPrefix("option-") else {
                log.error("\(e.name("type")): \(label) has a standard type (\(definition.type.rawValue)); 'type' is for codes without a name",
                          at: e.mark(of: "type"), rule: .conflict)
                return nil
            }
            definition.type = valueType
        }
        if !csvFormat { definition.type = .binary }
        guard let dataNode else {
            if !e.has("data") { log.error("\(name): missing required key 'data'", at: node.mark, rule: .missingKey) }
            return nil
        }
        let dataName = e.name("data")
        let typeName = definition.type.rawValue
        switch dataNode {
        case let .scalar(scalar):
            do {
                return DHCPOptionData(code: definition.code, data: try definition.encode([scalar.string]), alwaysSend: alwaysSend)
            } catch {
                log.error("\(dataName): \(label) takes \(typeName): \(error)", at: dataNode.mark, rule: Self.rule(error))
                return nil
            }
        case let .sequence(sequence):
            guard definition.type.isList else {
                log.error("\(dataName): \(label) takes one \(typeName) value, found a list", at: dataNode.mark, rule: .wrongType)
                return nil
            }
            var bytes: [UInt8] = []
            var failed = false
            for (index, element) in sequence.enumerated() {
                guard case let .scalar(scalar) = element else {
                    log.error("\(dataName)[\(index)]: expected a value, found \(Scalars.describe(element))", at: element.mark, rule: .wrongType)
                    failed = true
                    continue
                }
                do {
                    bytes += try definition.encode([scalar.string])
                } catch {
                    log.error("\(dataName)[\(index)]: \(label) takes \(typeName): \(error)", at: element.mark, rule: Self.rule(error))
                    failed = true
                }
            }
            if sequence.count == 0 {
                log.error("\(dataName): \(label) needs at least one value", at: dataNode.mark, rule: .wrongType)
                return nil
            }
            if bytes.count > DHCPOptionDefinition.maximumDataLength {
                log.error("\(dataName): \(DHCPOptionValueError.tooLong(bytes.count))", at: dataNode.mark, rule: .outOfRange)
                return nil
            }
            return failed ? nil : DHCPOptionData(code: definition.code, data: bytes, alwaysSend: alwaysSend)
        default:
            log.error("\(dataName): expected a value or a list, found \(Scalars.describe(dataNode))", at: dataNode.mark, rule: .wrongType)
            return nil
        }
    }

    private static func rule(_ error: DHCPOptionValueError) -> ConfigRule {
        switch error {
        case .outOfRange, .tooLong: .outOfRange
        case .wrongType, .count: .wrongType
        }
    }
}
