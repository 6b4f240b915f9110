import BridgeCore
import Foundation
import Testing
@testable import ProxyBridge

/// The route table and the OpenAPI documents made from it. The committed documents under docs/
/// must equal the generated ones: regenerate with `NETBOOT_REGENERATE_OPENAPI=1 swift test
/// --filter OpenAPIDocumentTests`.
@Suite struct OpenAPIDocumentTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs")

    @Test(arguments: BridgeRoute.Port.allCases)
    func committedDocumentIsTheGeneratedOne(port: BridgeRoute.Port) throws {
        let file = Self.docs.appendingPathComponent("openapi-\(port.rawValue).json")
        let generated = OpenAPIDocument.prettyJSON(for: port)
        if ProcessInfo.processInfo.environment["NETBOOT_REGENERATE_OPENAPI"] != nil {
            try generated.write(to: file)
        }
        let committed = try Data(contentsOf: file)
        #expect(committed == generated, "docs/openapi-\(port.rawValue).json is stale: run with NETBOOT_REGENERATE_OPENAPI=1")
    }

    @Test func everyRouteButTheDocumentNeedsAScopeOfItsPort() {
        for route in BridgeRoute.all {
            if route.path == "/openapi.json" {
                #expect(route.scope == nil)
            } else {
                let scope = try? #require(route.scope, "\(route.key) has no scope")
                #expect(scope?.isConsole == (route.port == .console), "\(route.key) needs a scope of its own port")
                #expect(route.responses[401] != nil && route.responses[403] != nil, "\(route.key) documents 401 and 403")
            }
        }
    }

    @Test func routeKeysAndOperationsAreUnique() {
        for port in BridgeRoute.Port.allCases {
            let routes = BridgeRoute.all.filter { $0.port == port }
            #expect(Set(routes.map(\.key)).count == routes.count)
        }
        #expect(Set(BridgeRoute.all.map(\.operation)).count == BridgeRoute.all.count)
    }

    @Test func documentListsEveryRouteWithItsScope() throws {
        for port in BridgeRoute.Port.allCases {
            guard case let .object(root)? = JSONValue.parse(OpenAPIDocument.json(for: port)),
                  case let .object(paths)? = root["paths"] else {
                Issue.record("no paths")
                return
            }
            #expect(root["openapi"] == .string("3.1.0"))
            for route in BridgeRoute.all where route.port == port {
                guard case let .object(item)? = paths[route.path], case let .object(operation)? = item[route.method.lowercased()] else {
                    Issue.record("\(route.key) missing from the \(port) document")
                    continue
                }
                #expect(operation["x-netboot-scope"] == route.scope.map { .string($0.rawValue) })
            }
        }
    }
}
