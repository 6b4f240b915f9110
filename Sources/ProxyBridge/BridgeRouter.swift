import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird

/// Builds one port's router from ``BridgeRoute``: the role middleware first (so it wraps every
/// route and the not-found answer), then each route of the port with its handler. A route
/// without a handler, or a handler without a route, is a programming error found at start
/// (``BridgeRouter/MissingHandler``), never a route that skips the check.
enum BridgeRouter {
    typealias Handler = @Sendable (Request, BridgeRequestContext) async throws -> Response

    struct MissingHandler: Error, CustomStringConvertible {
        var operations: [String]
        var description: String { "bridge routes without handlers, or handlers without routes: \(operations.joined(separator: ", "))" }
    }

    static func build(port: BridgeRoute.Port, middleware: RoleMiddleware,
                      handlers: [String: Handler]) throws -> Router<BridgeRequestContext> {
        let routes = BridgeRoute.all.filter { $0.port == port }
        let document = OpenAPIDocument.json(for: port)
        var all = handlers
        all[routes.first { $0.path == "/openapi.json" }?.operation ?? ""] = { _, _ in
            JSONBody.data(status: .ok, document)
        }
        let unmatched = Set(routes.map(\.operation)).symmetricDifference(all.keys)
        guard unmatched.isEmpty else { throw MissingHandler(operations: unmatched.sorted()) }

        let router = Router(context: BridgeRequestContext.self)
        router.add(middleware: middleware)
        for route in routes {
            guard let handler = all[route.operation] else { continue }
            let method = HTTPRequest.Method(route.method) ?? .get
            router.on(RouterPath(route.path), method: method) { request, context in
                try await handler(request, context)
            }
        }
        return router
    }
}
