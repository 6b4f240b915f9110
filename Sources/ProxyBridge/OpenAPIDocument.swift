import BridgeCore
import Foundation

/// The OpenAPI 3.1 document of each port, generated from ``BridgeRoute`` (so it cannot drift
/// from what is served) and committed as `docs/openapi-client.json` and
/// `docs/openapi-console.json` (a test keeps those equal to this).
public enum OpenAPIDocument {
    public static func json(for port: BridgeRoute.Port) -> Data {
        document(for: port).canonicalJSON
    }

    /// Pretty, for the committed files.
    public static func prettyJSON(for port: BridgeRoute.Port) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return ((try? encoder.encode(document(for: port))) ?? Data()) + Data("\n".utf8)
    }

    static func document(for port: BridgeRoute.Port) -> JSONValue {
        let routes = BridgeRoute.all.filter { $0.port == port }
        var paths: [String: JSONValue] = [:]
        for route in routes {
            var operation: [String: JSONValue] = [
                "operationId": .string(route.operation),
                "summary": .string(route.summary),
                "responses": .object(Dictionary(uniqueKeysWithValues: route.responses.map { status, text in
                    var response: [String: JSONValue] = ["description": .string(text)]
                    if status >= 400 { response["content"] = jsonContent(ref: "Error") }
                    return (String(status), .object(response))
                })),
            ]
            if let scope = route.scope {
                operation["security"] = .array([.object(["bearer": .array([])])])
                operation["x-netboot-scope"] = .string(scope.rawValue)
                operation["x-netboot-roles"] = .array(BridgeRole.allCases.filter { $0.scopes.contains(scope) }.map { .string($0.rawValue) })
            } else {
                operation["security"] = .array([])
            }
            var parameters: [JSONValue] = pathParameters(route.path).map { name in
                .object(["name": .string(name), "in": .string("path"), "required": .bool(true), "schema": .object(["type": .string("string")])])
            }
            parameters += route.query.map { name in
                .object(["name": .string(name), "in": .string("query"), "required": .bool(false), "schema": .object(["type": .string("integer")])])
            }
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if let mediaType = route.requestMediaType {
                operation["requestBody"] = .object(["required": .bool(true), "content": .object([
                    mediaType: .object(["schema": .object(["type": .string("string"), "contentMediaType": .string(mediaType)])]),
                ])])
            } else if let schema = route.requestSchema {
                operation["requestBody"] = .object(["required": .bool(true), "content": jsonContent(ref: schema)])
            }
            var item: [String: JSONValue] = [:]
            if case let .object(existing)? = paths[route.path] { item = existing }
            item[route.method.lowercased()] = .object(operation)
            paths[route.path] = .object(item)
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object([
                "title": .string("netboot proxy bridge, \(port.rawValue) port"),
                "version": .string("1"),
                "description": .string(port == .client
                    ? "Machines: enrollment, reports, files (default port 8761). docs/bridge.md."
                    : "Admins and tools: devices, reports, leases, tokens, audit (default port 8760). docs/bridge.md."),
            ]),
            "paths": .object(paths),
            "components": .object([
                "securitySchemes": .object(["bearer": .object(["type": .string("http"), "scheme": .string("bearer")])]),
                "schemas": .object(schemas(for: port)),
            ]),
        ])
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }

    static func jsonContent(ref: String) -> JSONValue {
        .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/\(ref)")])])])
    }

    static func string(_ maxLength: Int? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["type": .string("string")]
        if let maxLength { object["maxLength"] = .number(Double(maxLength)) }
        return .object(object)
    }

    static func object(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        .object(["type": .string("object"), "additionalProperties": .bool(false),
                 "properties": .object(properties), "required": .array(required.map(JSONValue.string))])
    }

    static func schemas(for port: BridgeRoute.Port) -> [String: JSONValue] {
        var schemas: [String: JSONValue] = [
            "Error": object(["error": string(), "field": string()], required: ["error"]),
        ]
        switch port {
        case .client:
            schemas["EnrollmentRequest"] = object([
                "mac": .object(["type": .string("string"), "pattern": .string("^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")]),
                "serial": string(64), "model": string(128), "hostname": string(253), "os_version": string(64),
            ], required: ["mac"])
            schemas["ClientReport"] = object([
                "sequence": .object(["type": .string("integer"), "minimum": .number(1)]),
                "kind": .object(["enum": .array(ReportKind.allCases.map { .string($0.rawValue) })]),
                "data": .object(["type": .string("object"), "description": .string(
                    "status: {run, step, group?, phase: start|finish, result?: success|failed|skipped (with finish), message?}; "
                        + "inventory: flat object of strings, numbers, booleans; log: {name, text}")]),
            ], required: ["sequence", "kind", "data"])
        case .console:
            schemas["TokenIssueRequest"] = object([
                "role": .object(["enum": .array(BridgeRole.allCases.filter { $0 != .client }.map { .string($0.rawValue) })]),
                "ttl_seconds": .object(["type": .string("integer"), "minimum": .number(1),
                                        "maximum": .number(Double(TokenIssueRequest.maxTTL))]),
                "label": string(128),
            ], required: ["role"])
        }
        schemas.merge(runSchemas(for: port)) { current, _ in current }
        return schemas
    }
}
