import Foundation

/// A JSON value with deterministic output, for the schema.
public indirect enum JSONValue: Sendable, Encodable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// The JSON Schema (draft-07, what yaml-language-server reads) of the task-sequence format,
/// generated from the step catalog so the two cannot drift. Committed as
/// `docs/schema/task-sequence.schema.json`; a test compares it with this output.
public enum TaskSequenceSchema {
    public static let repositoryPath = "docs/schema/task-sequence.schema.json"

    public static func text() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(schema()), let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text + "\n"
    }

    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/definitions/\(name)")]) }
    static func type(_ name: String, _ description: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["type": .string(name)]
        if let description { object["description"] = .string(description) }
        return .object(object)
    }

    static let variablePattern = "^[A-Za-z][A-Za-z0-9_-]{0,255}$"
    static let referencePattern = "%[A-Za-z_][A-Za-z0-9_-]*%"

    public static func schema() -> JSONValue {
        var definitions: [String: JSONValue] = [:]
        definitions["variables"] = .object([
            "type": .string("object"),
            "description": .string("Variables: 'Name: value', 'Name:' (no value: prompted at run time), or 'Name: {value, secret, description}'."),
            "propertyNames": .object(["pattern": .string(variablePattern)]),
            "additionalProperties": .object(["anyOf": .array([
                type("null"), type("string"), type("number"), type("boolean"),
                .object([
                    "type": .string("object"),
                    "additionalProperties": .bool(false),
                    "properties": .object([
                        "value": .object(["type": .array([.string("string"), .string("number"), .string("boolean"), .string("null")])]),
                        "secret": type("boolean", "Printed as *** everywhere."),
                        "description": type("string"),
                    ]),
                ]),
            ])]),
        ])
        definitions["steps"] = .object(["type": .string("array"), "items": ref("item")])
        let stepRefs = StepCatalog.authorable.map { ref("step-\($0.rawValue)") }
        definitions["item"] = .object(["oneOf": .array([ref("group")] + stepRefs)])

        var groupProperties = commonProperties()
        groupProperties["type"] = .object(["const": .string("group")])
        groupProperties["steps"] = ref("steps")
        definitions["group"] = .object([
            "type": .string("object"), "description": .string("A group of steps (seed L4859-4887)."),
            "required": .array([.string("type")]), "additionalProperties": .bool(false),
            "properties": .object(groupProperties),
        ])
        for type in StepCatalog.authorable {
            let spec = type.spec
            var properties = commonProperties()
            properties["type"] = .object(["const": .string(type.rawValue)])
            var required: [JSONValue] = [.string("type")]
            for property in spec.properties {
                var description = property.summary
                if let variable = property.variable { description += " (default %\(variable)%)" }
                if property.secret { description += "; secret" }
                if let fallback = property.defaultValue { description += "; default \(fallback)" }
                properties[property.key] = propertySchema(property.kind, description: description)
                if property.required, property.variable == nil { required.append(.string(property.key)) }
            }
            if spec.commandLike {
                properties["successCodes"] = .object(["type": .string("array"), "items": .object(["type": .string("integer")]),
                                                      "description": .string("Exit codes that count as success (default [0, 3010]).")])
                properties["timeout"] = .object(["anyOf": .array([
                    .object(["type": .string("integer"), "minimum": .int(1)]),
                    .object(["type": .string("string"), "pattern": .string("^[0-9]+[smh]$")]),
                ]), "description": .string("Seconds, or a duration like 90s, 10m, 1h.")])
                properties["retry"] = .object(["anyOf": .array([
                    .object(["type": .string("integer"), "minimum": .int(0), "maximum": .int(100)]),
                    .object(["type": .string("object"), "additionalProperties": .bool(false), "properties": .object([
                        "count": .object(["type": .string("integer"), "minimum": .int(0), "maximum": .int(100)]),
                        "delay": .object(["type": .array([.string("integer"), .string("string")])]),
                    ])]),
                ])])
            }
            if type == .setVariables {
                properties["variables"] = ref("variables")
                required.append(.string("variables"))
            }
            definitions["step-\(type.rawValue)"] = .object([
                "type": .string("object"),
                "description": .string("\(spec.label): \(spec.summary) (seed \(spec.seed))"),
                "required": .array(required), "additionalProperties": .bool(false),
                "properties": .object(properties),
            ])
        }
        let combinators = Condition.Combinator.allCases.map(\.rawValue)
        definitions["condition"] = .object([
            "type": .string("object"), "description": .string("A condition starts with an If statement (seed L5006)."),
            "required": .array([.string("if")]), "additionalProperties": .bool(false),
            "properties": .object(["if": ref("statement")]),
        ])
        definitions["statement"] = .object([
            "type": .string("object"), "minProperties": .int(1), "maxProperties": .int(1), "additionalProperties": .bool(false),
            "properties": .object(Dictionary(uniqueKeysWithValues: combinators.map { ($0, JSONValue.object(["type": .string("array"), "items": ref("conditionItem")])) })),
        ])
        var testProperties: [String: JSONValue] = ["variable": .object(["type": .string("string"), "pattern": .string("^[A-Za-z_][A-Za-z0-9_-]*$")])]
        for op in VariableTest.Operator.allCases {
            testProperties[op.rawValue] = op.takesValue ? .object(["type": .array([.string("string"), .string("number"), .string("boolean")])])
                                                         : .object(["const": .bool(true)])
        }
        definitions["conditionItem"] = .object(["oneOf": .array([
            .object(["type": .string("object"), "required": .array([.string("if")]), "additionalProperties": .bool(false),
                     "properties": .object(["if": ref("statement")])]),
            .object(["type": .string("object"), "required": .array([.string("variable")]), "minProperties": .int(2), "maxProperties": .int(2),
                     "additionalProperties": .bool(false), "properties": .object(testProperties)]),
        ])])

        return .object([
            "$schema": .string("http://json-schema.org/draft-07/schema#"),
            "title": .string("netboot task sequence"),
            "description": .string("A task sequence for netboot (docs/task-sequences.md)."),
            "type": .string("object"),
            "required": .array([.string("name"), .string("steps")]),
            "additionalProperties": .bool(false),
            "properties": .object([
                "name": type("string", "The task sequence name."),
                "description": type("string"),
                "variables": ref("variables"),
                "steps": ref("steps"),
            ]),
            "definitions": .object(definitions),
        ])
    }

    static func commonProperties() -> [String: JSONValue] {
        [
            "id": .object(["type": .string("string"), "pattern": .string(variablePattern), "description": .string("Unique step id.")]),
            "name": .object(["type": .string("string"), "maxLength": .int(SequenceLimits.maxNameLength)]),
            "description": type("string"),
            "disabled": type("boolean", "Skip this step or group (and everything in it)."),
            "continueOnError": type("boolean", "On failure go on: a step to the next step, a group after the group."),
            "condition": ref("condition"),
        ]
    }

    static func propertySchema(_ kind: PropertySpec.Kind, description: String) -> JSONValue {
        switch kind {
        case .string:
            return .object(["type": .string("string"), "description": .string(description)])
        case .bool:
            return .object(["anyOf": .array([type("boolean"), .object(["type": .string("string"), "pattern": .string(referencePattern)])]),
                            "description": .string(description)])
        case .stringList:
            return .object(["anyOf": .array([.object(["type": .string("array"), "items": type("string")]), type("string")]),
                            "description": .string(description)])
        }
    }
}

/// The JSON Schema of `etc/inventory.yaml`, committed as `docs/schema/inventory.schema.json`.
public enum InventorySchema {
    public static let repositoryPath = "docs/schema/inventory.schema.json"

    public static func text() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(schema()), let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text + "\n"
    }

    public static func schema() -> JSONValue {
        let string = TaskSequenceSchema.type("string")
        let variables = TaskSequenceSchema.schema().objectValue?["definitions"]?.objectValue?["variables"] ?? .object([:])
        func closed(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
            .object(["type": .string("object"), "additionalProperties": .bool(false),
                     "required": .array(required.map(JSONValue.string)), "properties": .object(properties)])
        }
        return .object([
            "$schema": .string("http://json-schema.org/draft-07/schema#"),
            "title": .string("netboot inventory"),
            "description": .string("Devices, collections and deployments (docs/task-sequences.md, Inventory)."),
            "type": .string("object"),
            "additionalProperties": .bool(false),
            "properties": .object([
                "devices": .object(["type": .string("array"), "items": closed([
                    "name": string, "mac": .object(["type": .string("string"), "pattern": .string("^([0-9A-Fa-f]{2}[:-]?){5}[0-9A-Fa-f]{2}$")]),
                    "serial": string, "model": string, "variables": variables,
                ], required: ["name"])]),
                "collections": .object(["type": .string("array"), "items": closed([
                    "name": .object(["type": .string("string"), "description": .string("'Unknown Mac OS X Systems' and 'Unknown Computers' are built in.")]),
                    "members": .object(["type": .string("array"), "items": string]),
                    "rules": .object(["type": .string("array"), "items": .object(["type": .string("object"), "additionalProperties": .bool(false),
                                                                                    "minProperties": .int(1),
                                                                                    "properties": .object(["mac": string, "model": string, "serial": string])])]),
                    "variables": variables,
                    "priority": .object(["type": .string("integer")]),
                ], required: ["name"])]),
                "deployments": .object(["type": .string("array"), "items": closed([
                    "sequence": string, "collection": string,
                ], required: ["sequence", "collection"])]),
            ]),
        ])
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let object) = self { return object }
        return nil
    }
}
